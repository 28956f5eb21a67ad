package ui

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/assetflow/assetflow/engine"
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
	if engine.IsInvalidInput(err) {
		status = http.StatusBadRequest
	}
	if status == http.StatusInternalServerError {
		s.cfg.Log.Warn().Err(err).Msg("ui: request failed")
	}
	writeJSON(w, status, apiError{Error: err.Error(), Problems: problems})
}
