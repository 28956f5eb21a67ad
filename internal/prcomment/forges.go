package prcomment

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// GitHub is a pull request's issue comments on GitHub (or GitHub Enterprise).
type GitHub struct {
	API    string // e.g. https://api.github.com (GITHUB_API_URL)
	Repo   string // owner/name (GITHUB_REPOSITORY)
	Number string // the pull request's number
	Token  string // GITHUB_TOKEN, with pull-requests: write
}

// GitHubFromEnv reads GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN and the
// pull request's number from lookup.
func GitHubFromEnv(lookup func(string) (string, bool), number string) (*GitHub, error) {
	g := &GitHub{API: get(lookup, "GITHUB_API_URL", "https://api.github.com"), Repo: get(lookup, "GITHUB_REPOSITORY", ""),
		Token: get(lookup, "GITHUB_TOKEN", ""), Number: number}
	switch {
	case g.Token == "":
		return nil, fmt.Errorf("GITHUB_TOKEN is not set: pass secrets.GITHUB_TOKEN to the step, with permission pull-requests: write")
	case !validRepo(g.Repo):
		return nil, fmt.Errorf("GITHUB_REPOSITORY=%q: expected owner/name", g.Repo)
	}
	return g, checkCommon(g.API, "GITHUB_API_URL", number)
}

func (g *GitHub) base() string { return strings.TrimSuffix(g.API, "/") + "/repos/" + g.Repo }

func (g *GitHub) auth(ctx context.Context, c *client, method, u string, in, out any) error {
	return c.do(ctx, method, u, "Authorization", "Bearer "+g.Token, in, out)
}

// GitHubActionsBot is the account GitHub Actions' GITHUB_TOKEN posts as; that
// token cannot read GET /user, so it is assumed when the API refuses.
const GitHubActionsBot = "github-actions[bot]"

func (g *GitHub) self(ctx context.Context, c *client) (string, error) {
	var me account
	err := g.auth(ctx, c, "GET", strings.TrimSuffix(g.API, "/")+"/user", nil, &me)
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr) && (apiErr.Status == 403 || apiErr.Status == 404):
		return GitHubActionsBot, nil // an installation token (Actions, an app)
	case err != nil:
		return "", err
	case me.Login == "":
		return "", fmt.Errorf("GitHub GET /user named no login: cannot tell which comments are this token's")
	}
	return me.Login, nil
}

func (g *GitHub) list(ctx context.Context, c *client, page int) ([]comment, error) {
	var out []comment
	u := fmt.Sprintf("%s/issues/%s/comments?per_page=%d&page=%d", g.base(), g.Number, perPage, page)
	return out, g.auth(ctx, c, "GET", u, nil, &out)
}

func (g *GitHub) create(ctx context.Context, c *client, body string) (comment, error) {
	var out comment
	return out, g.auth(ctx, c, "POST", fmt.Sprintf("%s/issues/%s/comments", g.base(), g.Number), map[string]string{"body": body}, &out)
}

func (g *GitHub) update(ctx context.Context, c *client, id int64, body string) (comment, error) {
	var out comment
	return out, g.auth(ctx, c, "PATCH", fmt.Sprintf("%s/issues/comments/%d", g.base(), id), map[string]string{"body": body}, &out)
}

// GitLab is a merge request's notes on GitLab.
type GitLab struct {
	API     string // e.g. https://gitlab.com/api/v4 (CI_API_V4_URL)
	Project string // numeric id or path (CI_PROJECT_ID)
	IID     string // the merge request's iid
	Token   string // a project or personal access token with api scope (GITLAB_TOKEN)
}

// GitLabFromEnv reads CI_API_V4_URL, CI_PROJECT_ID and GITLAB_TOKEN from lookup.
func GitLabFromEnv(lookup func(string) (string, bool), iid string) (*GitLab, error) {
	g := &GitLab{API: get(lookup, "CI_API_V4_URL", "https://gitlab.com/api/v4"), Project: get(lookup, "CI_PROJECT_ID", ""),
		Token: get(lookup, "GITLAB_TOKEN", ""), IID: iid}
	switch {
	case g.Token == "":
		return nil, fmt.Errorf("GITLAB_TOKEN is not set: add a project access token with api scope as a masked CI/CD variable (the job token cannot post notes)")
	case g.Project == "":
		return nil, fmt.Errorf("CI_PROJECT_ID is not set: run this in a GitLab CI job")
	}
	return g, checkCommon(g.API, "CI_API_V4_URL", iid)
}

func (g *GitLab) base() string {
	return fmt.Sprintf("%s/projects/%s/merge_requests/%s/notes", strings.TrimSuffix(g.API, "/"), url.PathEscape(g.Project), g.IID)
}

func (g *GitLab) auth(ctx context.Context, c *client, method, u string, in, out any) error {
	return c.do(ctx, method, u, "PRIVATE-TOKEN", g.Token, in, out)
}

func (g *GitLab) self(ctx context.Context, c *client) (string, error) {
	var me account
	if err := g.auth(ctx, c, "GET", strings.TrimSuffix(g.API, "/")+"/user", nil, &me); err != nil {
		return "", err
	}
	if me.Username == "" {
		return "", fmt.Errorf("GitLab GET /user named no username: cannot tell which notes are this token's")
	}
	return me.Username, nil
}

func (g *GitLab) list(ctx context.Context, c *client, page int) ([]comment, error) {
	var out []comment
	return out, g.auth(ctx, c, "GET", fmt.Sprintf("%s?per_page=%d&page=%d&sort=asc", g.base(), perPage, page), nil, &out)
}

func (g *GitLab) create(ctx context.Context, c *client, body string) (comment, error) {
	var out comment
	return out, g.auth(ctx, c, "POST", g.base(), map[string]string{"body": body}, &out)
}

func (g *GitLab) update(ctx context.Context, c *client, id int64, body string) (comment, error) {
	var out comment
	return out, g.auth(ctx, c, "PUT", g.base()+"/"+strconv.FormatInt(id, 10), map[string]string{"body": body}, &out)
}

func get(lookup func(string) (string, bool), key, def string) string {
	if v, ok := lookup(key); ok && v != "" {
		return v
	}
	return def
}

func validRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	valid := func(p string) bool {
		return p != "" && p != "." && p != ".." && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == ""
	}
	return ok && valid(owner) && valid(name)
}

func checkCommon(api, apiVar, number string) error {
	u, err := url.Parse(api)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%s: expected an http(s) URL without credentials", apiVar)
	}
	if number == "" || len(number) > 18 || strings.Trim(number, "0123456789") != "" {
		return fmt.Errorf("pull request number %q: expected digits only", number)
	}
	return nil
}
