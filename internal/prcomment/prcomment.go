// Package prcomment keeps one comment per pull request up to date: it finds the
// comment it posted before by a hidden marker in its body and edits it, or posts
// a new one the first time. GitHub (issue comments) and GitLab (merge request
// notes) are supported, through their REST APIs.
package prcomment

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxBody is the longest body posted; GitHub refuses more than 65,536
// characters. A longer body is cut, with a line saying so.
const MaxBody = 60_000

// maxResponse bounds what is read of one API response.
const maxResponse = 8 << 20

// maxPages bounds how many pages of comments are searched for the marker.
const maxPages = 50

// Outcome says what Upsert did.
type Outcome struct {
	Action string // "created" or "updated"
	ID     int64  // the comment's id
	URL    string // the comment's web address, when the API returns one
}

// Target is one pull request's comments on one forge.
type Target interface {
	// self names the account the token posts as: only its comments are edited.
	self(ctx context.Context, c *client) (string, error)
	list(ctx context.Context, c *client, page int) ([]comment, error)
	create(ctx context.Context, c *client, body string) (comment, error)
	update(ctx context.Context, c *client, id int64, body string) (comment, error)
}

type comment struct {
	ID     int64   `json:"id"`
	Body   string  `json:"body"`
	URL    string  `json:"html_url"`
	User   account `json:"user"`   // GitHub's author
	Author account `json:"author"` // GitLab's author
}

// account is a forge user as its API names one.
type account struct {
	Login    string `json:"login"`    // GitHub
	Username string `json:"username"` // GitLab
}

// by names the comment's author.
func (cm comment) by() string { return cm.User.Login + cm.Author.Username }

// Upsert posts body to the pull request as one comment: it edits the comment
// whose body contains marker and that the token's own account wrote, or
// creates one. A comment of anyone else that carries the marker is left
// alone: copying the marker must not let a participant have their comment
// overwritten with the report, or the report hidden in their thread.
func Upsert(ctx context.Context, t Target, hc *http.Client, marker, body string) (Outcome, error) {
	if marker == "" || !strings.Contains(body, marker) {
		return Outcome{}, fmt.Errorf("post comment: the body must contain the marker %q, or the next post could not find it", marker)
	}
	if len(body) > MaxBody {
		cut := MaxBody
		for cut > 0 && !utf8.RuneStart(body[cut]) { // never split a character
			cut--
		}
		body = body[:cut] + "\n\n… (cut: the report is longer than a comment may be; run `run diff` for all of it)\n"
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := &client{http: sameHostRedirects(hc)}
	me, err := t.self(ctx, c)
	if err != nil {
		return Outcome{}, err
	}
	for page := 1; page <= maxPages; page++ {
		list, err := t.list(ctx, c, page)
		if err != nil {
			return Outcome{}, err
		}
		for _, cm := range list {
			if strings.Contains(cm.Body, marker) && cm.by() == me {
				up, err := t.update(ctx, c, cm.ID, body)
				if err != nil {
					return Outcome{}, err
				}
				return Outcome{Action: "updated", ID: cm.ID, URL: up.URL}, nil
			}
		}
		if len(list) < perPage {
			break
		}
	}
	cm, err := t.create(ctx, c, body)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Action: "created", ID: cm.ID, URL: cm.URL}, nil
}

const perPage = 100

// client sends JSON requests with one header that authenticates them.
type client struct {
	http *http.Client
}

// APIError is a response the forge refused. It names the method, the path and
// the status, never the token.
type APIError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *APIError) Error() string {
	msg := ""
	if e.Message != "" {
		msg = ": " + e.Message
	}
	return fmt.Sprintf("%s %s: HTTP %d%s", e.Method, e.Path, e.Status, msg)
}

func (c *client) do(ctx context.Context, method, url, authHeader, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, pathOf(url), err)
	}
	req.Header.Set(authHeader, token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, pathOf(url), stripURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: reading the response: %w", method, pathOf(url), err)
	}
	if resp.StatusCode/100 != 2 {
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &m)
		return &APIError{Method: method, Path: pathOf(url), Status: resp.StatusCode, Message: clip(m.Message, 200)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: unexpected response: %w", method, pathOf(url), err)
		}
	}
	return nil
}

// pathOf returns a URL without its scheme, host and query, for messages.
func pathOf(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		url = url[i+3:]
		if j := strings.IndexByte(url, '/'); j >= 0 {
			url = url[j:]
		}
	}
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url = url[:i]
	}
	return url
}

// stripURL drops the URL a *url.Error repeats, keeping its cause.
func stripURL(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// sameHostRedirects returns a copy of hc that follows a redirect only to the
// same scheme and host: the token travels in a header that Go's client keeps
// across hosts (GitLab's PRIVATE-TOKEN), so another host must never see it.
func sameHostRedirects(hc *http.Client) *http.Client {
	c := *hc
	next := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if first := via[0].URL; req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
			return fmt.Errorf("refused a redirect from %s to another host, %s: the token is not sent there", first.Host, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return fmt.Errorf("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}
