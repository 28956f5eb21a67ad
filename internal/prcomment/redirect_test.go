package prcomment_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/assetflow/assetflow/internal/prcomment"
)

// A forge (or anything between) that redirects to another host must not be
// handed the token: Go's client drops Authorization across hosts, but not
// GitLab's PRIVATE-TOKEN header.
func TestTokenNotSentAcrossHostRedirects(t *testing.T) {
	var leaked, hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("PRIVATE-TOKEN") != "" || r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[]`))
	}))
	defer other.Close()
	// Same address, another host name: 127.0.0.1 redirects to localhost.
	otherURL := "http://localhost:" + other.URL[len("http://127.0.0.1:"):]
	forge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer forge.Close()
	targets := []prcomment.Target{
		&prcomment.GitLab{API: forge.URL + "/api/v4", Project: "1", IID: "2", Token: "glpat-secret"},
		&prcomment.GitHub{API: forge.URL, Repo: "a/b", Number: "2", Token: "ghp-secret"},
	}
	for _, target := range targets {
		_, err := prcomment.Upsert(ctx(t), target, nil, marker, marker+" body")
		if err == nil {
			t.Errorf("%T: a redirect to another host was followed to the end", target)
		}
	}
	if leaked.Load() != 0 {
		t.Fatalf("the token reached another host %d times (of %d requests there)", leaked.Load(), hits.Load())
	}
}
