package ui

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

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
	if engine.IsInvalidInput(err) {
		return nil, nil // the store's "no run" answer
	}
	return d, err
}

// header returns a run's record without its steps, or nil when there is no
// such run, as run does.
func (s *Server) header(ctx context.Context, id string) (*runstore.Run, error) {
	if !validRunID(id) {
		return nil, nil
	}
	h, err := s.cfg.Store.RunHeader(ctx, id)
	if engine.IsInvalidInput(err) {
		return nil, nil // the store's "no run" answer
	}
	if err != nil {
		return nil, err
	}
	return &h, nil
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
	h, err := s.header(r.Context(), id) // only whether it exists: its events follow
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	if h == nil {
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
	h, err := s.header(r.Context(), id)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	if h == nil {
		writeError(w, http.StatusNotFound, "no run %q to re-execute (see GET /api/runs)", id)
		return
	}
	req := LaunchRequest{Kind: h.Kind, FromFailure: id}
	if h.Kind == "job" {
		req.Job = h.Name
	}
	s.launch(w, req)
}
