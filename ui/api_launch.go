package ui

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/assetflow/assetflow/engine"
)

func (s *Server) apiJobs(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Catalog.Describe().Jobs)
}

// readLaunch reads a LaunchRequest body strictly.
func readLaunch(w http.ResponseWriter, r *http.Request) (LaunchRequest, error) {
	var req LaunchRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, engine.Usagef("request body: %v: expected JSON such as {\"kind\": \"assets\", \"selection\": \"items+\", \"config\": \"ops: ...\"}", err)
	}
	if req.Kind != "assets" && req.Kind != "job" {
		return req, engine.Usagef("kind %q: expected assets or job", req.Kind)
	}
	if req.Kind == "job" && req.Job == "" {
		return req, engine.Usagef("kind job needs a job name, e.g. {\"kind\": \"job\", \"job\": \"clone_prod\"}")
	}
	if req.Kind == "assets" && strings.TrimSpace(req.Selection) == "" {
		req.Selection = "*"
	}
	return req, nil
}

// planned parses the request's config and plans it as the CLI would; on error it
// answers with the problems, each on its line of the config where known.
func (s *Server) planned(w http.ResponseWriter, r *http.Request, req LaunchRequest) (*engine.Plan, engine.RunConfig, bool) {
	rc, ok := s.runConfig(w, req)
	if !ok {
		return nil, nil, false
	}
	plan, err := s.cfg.Plan(r.Context(), req, rc)
	if err != nil {
		s.writeFailure(w, err, configProblems(req.Config, err))
		return nil, nil, false
	}
	return plan, rc, true
}

// runConfig reads a request's run config YAML; on a bad one it answers 400
// naming the line, and reports false.
func (s *Server) runConfig(w http.ResponseWriter, req LaunchRequest) (engine.RunConfig, bool) {
	rc, err := engine.ParseRunConfig([]byte(req.Config))
	if err != nil {
		err = engine.Usagef("%v", err)
		s.writeFailure(w, err, configProblems(req.Config, err))
		return nil, false
	}
	return rc, true
}

// ValidateAnswer is POST /api/validate's answer for a valid request.
type ValidateAnswer struct {
	Valid bool     `json:"valid"`
	Nodes []string `json:"nodes"` // in execution order
}

func (s *Server) apiValidate(w http.ResponseWriter, r *http.Request) {
	req, err := readLaunch(w, r)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	if plan, _, ok := s.planned(w, r, req); ok {
		writeJSON(w, http.StatusOK, ValidateAnswer{Valid: true, Nodes: plan.Nodes()})
	}
}

// DryRunAnswer is POST /api/dry-run: the plan in order and, for ops, the
// statements they would run; nothing connects.
type DryRunAnswer struct {
	Name  string              `json:"name"`
	Steps []engine.DryRunStep `json:"steps"`
}

func (s *Server) apiDryRun(w http.ResponseWriter, r *http.Request) {
	req, err := readLaunch(w, r)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	plan, _, ok := s.planned(w, r, req)
	if !ok {
		return
	}
	steps, err := plan.DryRun("dry-run")
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, DryRunAnswer{Name: plan.Name, Steps: steps})
}

func (s *Server) apiLaunch(w http.ResponseWriter, r *http.Request) {
	req, err := readLaunch(w, r)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	s.launch(w, req)
}

// launch starts the run in the background; Launch plans it, and a request it
// refuses gets the answer a validation would.
func (s *Server) launch(w http.ResponseWriter, req LaunchRequest) {
	rc, ok := s.runConfig(w, req)
	if !ok {
		return
	}
	id, err := s.cfg.Launch(s.runCtx, req, rc)
	if err != nil {
		s.writeFailure(w, err, configProblems(req.Config, err))
		return
	}
	s.cfg.Log.Info().Str("run_id", id).Str("kind", req.Kind).Msg("ui: run launched")
	writeJSON(w, http.StatusAccepted, LaunchAnswer{RunID: id, URL: "/runs/" + id})
}

// DefaultsAnswer is GET /api/config/defaults: a run config YAML with every
// configurable key of the planned nodes at its default.
type DefaultsAnswer struct {
	Config string `json:"config"`
}

func (s *Server) apiDefaults(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := LaunchRequest{Kind: q.Get("kind"), Job: q.Get("job"), Selection: q.Get("selection")}
	if req.Kind == "" {
		req.Kind = "assets"
	}
	if req.Kind == "assets" && req.Selection == "" {
		req.Selection = "*"
	}
	text, err := s.defaults(r.Context(), req)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, DefaultsAnswer{Config: text})
}
