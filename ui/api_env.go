package ui

import (
	"net/http"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/clones"
)

func (s *Server) apiClones(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Clones == nil {
		writeJSON(w, http.StatusOK, []clones.Verdict{})
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
func parseReapRules(r *http.Request) (clones.ReapRules, error) {
	q := r.URL.Query()
	rules := clones.ReapRules{Now: time.Now(), Open: map[string]bool{}}
	older := q.Get("older_than")
	if older == "" {
		return rules, engine.Usagef("reap preview: older_than is required, e.g. older_than=14d")
	}
	var err error
	if rules.OlderThan, err = clones.ParseAge(older); err != nil {
		return rules, engine.Usagef("older_than: %v", err)
	}
	if rules.Keep, err = clones.ParsePRIDs(q.Get("keep")); err != nil {
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
		writeJSON(w, http.StatusOK, []clones.Verdict{})
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
