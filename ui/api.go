package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
	"github.com/assetflow/assetflow/ops"
)

// maxBody bounds every request body; a run config is far smaller.
const maxBody = 1 << 20

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /api/assets", s.apiAssets)
	m.HandleFunc("GET /api/assets/{name}", s.apiAsset)
	m.HandleFunc("GET /api/select", s.apiSelect)
	m.HandleFunc("GET /api/states", s.apiStates)
	m.HandleFunc("GET /api/runs", s.apiRuns)
	m.HandleFunc("GET /api/runs/{id}", s.apiRun)
	m.HandleFunc("GET /api/runs/{id}/events", s.apiEvents)
	m.HandleFunc("GET /api/runs/{id}/stream", s.apiStream)
	m.HandleFunc("POST /api/runs/{id}/reexecute", s.apiReexecute)
	m.HandleFunc("GET /api/jobs", s.apiJobs)
	m.HandleFunc("GET /api/config/defaults", s.apiDefaults)
	m.HandleFunc("POST /api/validate", s.apiValidate)
	m.HandleFunc("POST /api/dry-run", s.apiDryRun)
	m.HandleFunc("POST /api/launch", s.apiLaunch)
	m.HandleFunc("GET /api/clones", s.apiClones)
	m.HandleFunc("GET /api/clones/reap-preview", s.apiReapPreview)
	m.HandleFunc("GET /api/env", s.apiEnv)
	m.HandleFunc("GET /api/csrf", s.apiCSRF)
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no API route %s %s (see the README's Web UI section)", r.Method, r.URL.Path)
	})
	s.pageRoutes()
}

// apiError is the body of every error answer.
type apiError struct {
	Error    string    `json:"error"`
	Problems []Problem `json:"problems,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...)})
}

// writeFailure answers an error from the engine or the store: bad usage or
// invalid config is the caller's fault (400), anything else the server's (500).
func (s *Server) writeFailure(w http.ResponseWriter, err error, problems []Problem) {
	status := http.StatusInternalServerError
	var ec engine.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() == engine.ExitUsage {
		status = http.StatusBadRequest
	}
	if status == http.StatusInternalServerError {
		s.cfg.Log.Warn().Err(err).Msg("ui: request failed")
	}
	writeJSON(w, status, apiError{Error: err.Error(), Problems: problems})
}

// AssetsAnswer is GET /api/assets: the graph view (the JSON of `run graph
// --format json`, each asset's status filled from the run store) and each
// asset's state.
type AssetsAnswer struct {
	Graph  engine.GraphView      `json:"graph"`
	States map[string]AssetState `json:"states"`
}

func (s *Server) apiAssets(w http.ResponseWriter, r *http.Request) {
	view, err := s.view(r.URL.Query().Get("select"))
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	states, err := s.assetStates(r.Context(), &view)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, AssetsAnswer{Graph: view, States: states})
}

// ShownState is one asset's state and the line its box shows under its name.
type ShownState struct {
	State  string `json:"state"`
	Detail string `json:"detail"`
}

// apiStates is GET /api/states: every asset's state, light enough for the
// assets page to poll.
func (s *Server) apiStates(w http.ResponseWriter, r *http.Request) {
	view := s.cfg.Catalog.Describe()
	states, err := s.assetStates(r.Context(), &view)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	out := make(map[string]ShownState, len(states))
	for _, a := range view.Assets {
		st := states[a.Name]
		out[a.Name] = ShownState{State: st.State, Detail: nodeDetail(a, st)}
	}
	writeJSON(w, http.StatusOK, out)
}

// view is the catalog's view, restricted to a selection when one is given.
func (s *Server) view(selection string) (engine.GraphView, error) {
	if strings.TrimSpace(selection) == "" {
		return s.cfg.Catalog.Describe(), nil
	}
	return s.cfg.Catalog.DescribeSelection(selection)
}

// SelectAnswer is GET /api/select?q=SEL: the assets the CLI's selection syntax picks.
type SelectAnswer struct {
	Query  string   `json:"query"`
	Assets []string `json:"assets"`
}

func (s *Server) apiSelect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		writeError(w, http.StatusBadRequest, "select: q is empty: give a selection such as items+ or group:hacker_news")
		return
	}
	v, err := s.cfg.Catalog.DescribeSelection(q)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	ans := SelectAnswer{Query: q, Assets: []string{}}
	for _, a := range v.Assets {
		ans.Assets = append(ans.Assets, a.Name)
	}
	writeJSON(w, http.StatusOK, ans)
}

// AssetAnswer is GET /api/assets/{name}.
type AssetAnswer struct {
	Asset      engine.NodeView         `json:"asset"`
	State      AssetState              `json:"state"`
	Upstream   []string                `json:"upstream"`
	Downstream []string                `json:"downstream"`
	Versions   []runstore.AssetVersion `json:"versions"` // newest first
}

// maxVersions bounds the history the asset page shows.
const maxVersions = 200

func (s *Server) asset(ctx context.Context, name string) (*AssetAnswer, error) {
	if !s.cfg.Catalog.HasAsset(name) {
		return nil, nil
	}
	view := s.cfg.Catalog.Describe()
	states, err := s.assetStates(ctx, &view)
	if err != nil {
		return nil, err
	}
	ans := &AssetAnswer{Upstream: []string{}, Downstream: []string{}}
	for _, a := range view.Assets {
		if a.Name == name {
			ans.Asset, ans.Upstream = a, append(ans.Upstream, a.Deps...)
		}
		if slices.Contains(a.Deps, name) {
			ans.Downstream = append(ans.Downstream, a.Name)
		}
	}
	ans.State = states[name]
	if ans.Versions, err = s.cfg.Store.AssetVersions(ctx, name, maxVersions); err != nil {
		return nil, err
	}
	return ans, nil
}

func (s *Server) apiAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ans, err := s.asset(r.Context(), name)
	switch {
	case err != nil:
		s.writeFailure(w, err, nil)
	case ans == nil:
		writeError(w, http.StatusNotFound, "unknown asset %q (see GET /api/assets)", name)
	default:
		writeJSON(w, http.StatusOK, ans)
	}
}

// RunsFilter narrows the runs list; empty fields match everything.
type RunsFilter struct {
	Status, Job, Env string
	Limit            int
}

// maxRuns bounds a runs list.
const maxRuns = 1000

func parseRunsFilter(r *http.Request) (RunsFilter, error) {
	q := r.URL.Query()
	f := RunsFilter{Status: strings.ToUpper(q.Get("status")), Job: q.Get("job"), Env: q.Get("env"), Limit: 50}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxRuns {
			return f, engine.Usagef("limit %q: expected a number from 1 to %d", l, maxRuns)
		}
		f.Limit = n
	}
	if f.Status != "" && !slices.Contains([]string{"STARTED", "SUCCESS", "FAILURE", "CANCELED"}, f.Status) {
		return f, engine.Usagef("status %q: expected STARTED, SUCCESS, FAILURE or CANCELED", q.Get("status"))
	}
	return f, nil
}

// runs returns the newest runs matching f.
func (s *Server) runs(ctx context.Context, f RunsFilter) ([]runstore.Run, error) {
	if _, err := s.cfg.Store.MarkAbandoned(ctx); err != nil {
		return nil, err
	}
	all, err := s.cfg.Store.Runs(ctx, maxRuns)
	if err != nil {
		return nil, err
	}
	out := []runstore.Run{}
	for _, run := range all {
		if (f.Status == "" || run.Status == f.Status) && (f.Job == "" || run.Name == f.Job) && (f.Env == "" || run.Env == f.Env) {
			out = append(out, run)
			if len(out) == f.Limit {
				break
			}
		}
	}
	return out, nil
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) {
	f, err := parseRunsFilter(r)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	runs, err := s.runs(r.Context(), f)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, runs)
}

// RunAnswer is GET /api/runs/{id}: the run as `run show --json` gives it, with
// its recorded events.
type RunAnswer struct {
	*runstore.RunDetail
	Events []runstore.SeqEvent `json:"events"`
}

// maxEvents bounds the events one answer carries; the rest come by ?after=.
const maxEvents = 20000

// run returns the run, or nil when the store has no such run.
func (s *Server) run(ctx context.Context, id string) (*runstore.RunDetail, error) {
	if !validRunID(id) {
		return nil, nil
	}
	d, err := s.cfg.Store.Run(ctx, id)
	var ec engine.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() == engine.ExitUsage {
		return nil, nil // the store's "no run" answer
	}
	return d, err
}

// validRunID accepts what engine.NewRunID makes (and a little more), so odd
// input never reaches the store.
func validRunID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, err := s.run(r.Context(), id)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	if d == nil {
		writeError(w, http.StatusNotFound, "no run %q (see GET /api/runs)", id)
		return
	}
	events, err := s.cfg.Store.EventsAfter(r.Context(), id, 0, maxEvents)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, RunAnswer{RunDetail: d, Events: events})
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	after, err := parseAfter(r)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	d, err := s.run(r.Context(), id)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	if d == nil {
		writeError(w, http.StatusNotFound, "no run %q (see GET /api/runs)", id)
		return
	}
	events, err := s.cfg.Store.EventsAfter(r.Context(), id, after, maxEvents)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, events)
}

func parseAfter(r *http.Request) (int64, error) {
	a := r.URL.Query().Get("after")
	if a == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil || n < 0 {
		return 0, engine.Usagef("after %q: expected an event position, 0 or more", a)
	}
	return n, nil
}

// LaunchAnswer is what launching or re-executing returns.
type LaunchAnswer struct {
	RunID string `json:"run_id"`
	URL   string `json:"url"`
}

func (s *Server) apiReexecute(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, err := s.run(r.Context(), id)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	if d == nil {
		writeError(w, http.StatusNotFound, "no run %q to re-execute (see GET /api/runs)", id)
		return
	}
	req := LaunchRequest{Kind: d.Kind, FromFailure: id}
	if d.Kind == "job" {
		req.Job = d.Name
	}
	s.launch(w, r, req)
}

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
	rc, err := engine.ParseRunConfig([]byte(req.Config))
	if err != nil {
		err = engine.Usagef("%v", err)
	} else {
		var plan *engine.Plan
		if plan, err = s.cfg.Plan(r.Context(), req, rc); err == nil {
			return plan, rc, true
		}
	}
	s.writeFailure(w, err, configProblems(req.Config, err))
	return nil, nil, false
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
	s.launch(w, r, req)
}

// launch validates the request and starts the run in the background.
func (s *Server) launch(w http.ResponseWriter, r *http.Request, req LaunchRequest) {
	if _, rc, ok := s.planned(w, r, req); ok {
		id, err := s.cfg.Launch(s.runCtx, req, rc)
		if err != nil {
			s.writeFailure(w, err, configProblems(req.Config, err))
			return
		}
		s.cfg.Log.Info().Str("run_id", id).Str("kind", req.Kind).Msg("ui: run launched")
		writeJSON(w, http.StatusAccepted, LaunchAnswer{RunID: id, URL: "/runs/" + id})
	}
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

func (s *Server) apiClones(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Clones == nil {
		writeJSON(w, http.StatusOK, []ops.Verdict{})
		return
	}
	v, err := s.cfg.Clones(r.Context())
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// parseReapRules reads older_than (required) and keep, as run clones reap does.
func parseReapRules(r *http.Request) (ops.ReapRules, error) {
	q := r.URL.Query()
	rules := ops.ReapRules{Now: time.Now(), Open: map[string]bool{}}
	older := q.Get("older_than")
	if older == "" {
		return rules, engine.Usagef("reap preview: older_than is required, e.g. older_than=14d")
	}
	var err error
	if rules.OlderThan, err = ops.ParseAge(older); err != nil {
		return rules, engine.Usagef("older_than: %v", err)
	}
	if rules.Keep, err = ops.ParsePRIDs(q.Get("keep")); err != nil {
		return rules, engine.Usagef("keep: %v", err)
	}
	return rules, nil
}

func (s *Server) apiReapPreview(w http.ResponseWriter, r *http.Request) {
	rules, err := parseReapRules(r)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	if s.cfg.ReapPreview == nil {
		writeJSON(w, http.StatusOK, []ops.Verdict{})
		return
	}
	v, err := s.cfg.ReapPreview(r.Context(), rules)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiEnv(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Environment)
}

// CSRFAnswer is GET /api/csrf: the token every POST sends in X-CSRF-Token.
type CSRFAnswer struct {
	Token  string `json:"token"`
	Header string `json:"header"`
}

func (s *Server) apiCSRF(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, CSRFAnswer{Token: s.csrf, Header: csrfHeader})
}
