package prcomment_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/assetflow/assetflow/internal/prcomment"
)

const marker = "<!-- test-marker -->"

// fakeForge is a local stand-in for a forge's comments API that records every
// write.
type fakeForge struct {
	mu       sync.Mutex
	comments []map[string]any // id, body
	writes   []string         // "POST 7", "PATCH 7"
	auth     string           // the header value it requires
	authKey  string
	nextID   int64
	me       string // the token's account
	github   bool   // GET /user is refused, as for GitHub Actions' token
}

// author is a comment's author field, as the fake forge's API writes it.
func (f *fakeForge) author(name string) (string, map[string]any) {
	if f.github {
		return "user", map[string]any{"login": name}
	}
	return "author", map[string]any{"username": name}
}

func (f *fakeForge) handler(listPath, createPath, updatePrefix, updateMethod string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get(f.authKey) != f.auth {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Bad credentials"}`)
			return
		}
		var in struct{ Body string }
		switch {
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/user"):
			if f.github {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"message":"Resource not accessible by integration"}`)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"id": 77, "username": f.me})
		case r.Method == "GET" && r.URL.Path == listPath:
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
			lo, hi := min((page-1)*per, len(f.comments)), min(page*per, len(f.comments))
			json.NewEncoder(w).Encode(f.comments[lo:hi])
		case r.Method == "POST" && r.URL.Path == createPath:
			json.NewDecoder(r.Body).Decode(&in)
			f.nextID++
			c := map[string]any{"id": f.nextID, "body": in.Body}
			k, v := f.author(f.me)
			c[k] = v
			f.comments = append(f.comments, c)
			f.writes = append(f.writes, fmt.Sprintf("POST %d", f.nextID))
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(c)
		case r.Method == updateMethod && strings.HasPrefix(r.URL.Path, updatePrefix):
			id, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, updatePrefix), 10, 64)
			json.NewDecoder(r.Body).Decode(&in)
			for _, c := range f.comments {
				if c["id"].(int64) == id {
					c["body"] = in.Body
					f.writes = append(f.writes, fmt.Sprintf("%s %d", updateMethod, id))
					json.NewEncoder(w).Encode(c)
					return
				}
			}
			w.WriteHeader(http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"message":"no route %s %s"}`, r.Method, r.URL.Path)
		}
	})
}

// others fills the pull request with comments of other people, more than one
// page of them, so the marker must be searched across pages.
func (f *fakeForge) others(n int) {
	for i := 0; i < n; i++ {
		f.nextID++
		k, v := f.author(fmt.Sprintf("reviewer%d", i))
		f.comments = append(f.comments, map[string]any{"id": f.nextID, "body": fmt.Sprintf("looks good %d", i), k: v})
	}
}

// hostile adds a comment by someone else that carries the marker.
func (f *fakeForge) hostile(who string) {
	f.nextID++
	k, v := f.author(who)
	f.comments = append(f.comments, map[string]any{"id": f.nextID, "body": marker + " " + who + "'s copy of the marker", k: v})
}

func (f *fakeForge) bodyOf(id int64) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.comments {
		if c["id"].(int64) == id {
			return c["body"].(string)
		}
	}
	return ""
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestGitHubCreatesThenUpdatesOneComment(t *testing.T) {
	f := &fakeForge{authKey: "Authorization", auth: "Bearer s3cret", me: prcomment.GitHubActionsBot, github: true}
	f.others(130)
	f.hostile("mallory")
	srv := httptest.NewServer(f.handler("/repos/acme/data/issues/42/comments", "/repos/acme/data/issues/42/comments",
		"/repos/acme/data/issues/comments/", "PATCH"))
	defer srv.Close()
	env := map[string]string{"GITHUB_API_URL": srv.URL, "GITHUB_REPOSITORY": "acme/data", "GITHUB_TOKEN": "s3cret"}
	gh, err := prcomment.GitHubFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "42")
	if err != nil {
		t.Fatal(err)
	}
	first, err := prcomment.Upsert(ctx(t), gh, srv.Client(), marker, marker+"\nfirst push")
	if err != nil {
		t.Fatal(err)
	}
	second, err := prcomment.Upsert(ctx(t), gh, srv.Client(), marker, marker+"\nsecond push")
	if err != nil {
		t.Fatal(err)
	}
	if first.Action != "created" || second.Action != "updated" || first.ID != second.ID {
		t.Fatalf("first %+v, second %+v", first, second)
	}
	if got := strings.Join(f.writes, ","); got != fmt.Sprintf("POST %d,PATCH %d", first.ID, first.ID) {
		t.Fatalf("writes %s", got)
	}
	if body := f.bodyOf(first.ID); body != marker+"\nsecond push" {
		t.Fatalf("comment body %q", body)
	}
	if f.bodyOf(1) != "looks good 0" || f.bodyOf(131) != marker+" mallory's copy of the marker" {
		t.Fatal("another's comment was changed")
	}

	env["GITHUB_TOKEN"] = "wrong-token"
	gh, _ = prcomment.GitHubFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "42")
	_, err = prcomment.Upsert(ctx(t), gh, srv.Client(), marker, marker+"x")
	var apiErr *prcomment.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("got %v", err)
	}
}

func TestGitLabCreatesThenUpdatesOneNote(t *testing.T) {
	f := &fakeForge{authKey: "PRIVATE-TOKEN", auth: "glpat-x", me: "project_9_bot"}
	f.others(2)
	f.hostile("mallory")
	srv := httptest.NewServer(f.handler("/api/v4/projects/group/proj/merge_requests/9/notes",
		"/api/v4/projects/group/proj/merge_requests/9/notes", "/api/v4/projects/group/proj/merge_requests/9/notes/", "PUT"))
	defer srv.Close()
	env := map[string]string{"CI_API_V4_URL": srv.URL + "/api/v4", "CI_PROJECT_ID": "group/proj", "GITLAB_TOKEN": "glpat-x"}
	gl, err := prcomment.GitLabFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "9")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"created", "updated", "updated"} {
		out, err := prcomment.Upsert(ctx(t), gl, srv.Client(), marker, fmt.Sprintf("%s push %d", marker, i))
		if err != nil {
			t.Fatal(err)
		}
		if out.Action != want || out.ID != 4 {
			t.Fatalf("push %d: %+v", i, out)
		}
	}
	if got := strings.Join(f.writes, ","); got != "POST 4,PUT 4,PUT 4" {
		t.Fatalf("writes %s", got)
	}
	if f.bodyOf(4) != marker+" push 2" || f.bodyOf(3) != marker+" mallory's copy of the marker" {
		t.Fatalf("bodies %q, %q", f.bodyOf(4), f.bodyOf(3))
	}
}

func TestBadSettingsAreRefused(t *testing.T) {
	lookup := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, tc := range []struct {
		env    map[string]string
		number string
	}{
		{map[string]string{"GITHUB_REPOSITORY": "a/b"}, "1"},                                                   // no token
		{map[string]string{"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b/c"}, "1"},                            // bad repo
		{map[string]string{"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b"}, "1/../../x"},                      // bad number
		{map[string]string{"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "GITHUB_API_URL": "ftp://x"}, "1"}, // bad API
	} {
		if _, err := prcomment.GitHubFromEnv(lookup(tc.env), tc.number); err == nil {
			t.Errorf("accepted %v %q", tc.env, tc.number)
		} else if strings.Contains(err.Error(), "\"t\"") {
			t.Errorf("the token shows in %v", err)
		}
	}
	if _, err := prcomment.GitLabFromEnv(lookup(map[string]string{"CI_PROJECT_ID": "1"}), "2"); err == nil {
		t.Error("GitLab without a token accepted")
	}
	gh := &prcomment.GitHub{API: "http://127.0.0.1:1", Repo: "a/b", Number: "1", Token: "t"}
	if _, err := prcomment.Upsert(ctx(t), gh, nil, marker, "no marker here"); err == nil {
		t.Error("a body without the marker was posted")
	}
}

// A report longer than a comment may be is cut on a character boundary, with
// the marker kept, so the next push still finds the comment.
func TestLongBodyIsCut(t *testing.T) {
	f := &fakeForge{authKey: "Authorization", auth: "Bearer t", me: prcomment.GitHubActionsBot, github: true}
	srv := httptest.NewServer(f.handler("/repos/a/b/issues/1/comments", "/repos/a/b/issues/1/comments", "/repos/a/b/issues/comments/", "PATCH"))
	defer srv.Close()
	gh := &prcomment.GitHub{API: srv.URL, Repo: "a/b", Number: "1", Token: "t"}
	body := marker + strings.Repeat("é", prcomment.MaxBody)
	out, err := prcomment.Upsert(ctx(t), gh, srv.Client(), marker, body)
	if err != nil {
		t.Fatal(err)
	}
	got := f.bodyOf(out.ID)
	if len(got) > prcomment.MaxBody+200 || !strings.HasPrefix(got, marker) || !utf8.ValidString(got) || !strings.Contains(got, "cut:") {
		t.Fatalf("posted %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
}
