package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/prcomment"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/warehouse/diff"
)

// postFlags post run diff's markdown as the pull request's one assetflow
// comment, updated on each push.
type postFlags struct {
	github, gitlab bool
}

func (p *postFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&p.github, "post-github", false, "post the report as one comment on the pull request, updated on each push (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL; the PR is DAGSTER_CLOUD_PULL_REQUEST_ID)")
	cmd.Flags().BoolVar(&p.gitlab, "post-gitlab", false, "post the report as one note on the merge request, updated on each push (GITLAB_TOKEN, CI_API_V4_URL, CI_PROJECT_ID; the MR is DAGSTER_CLOUD_PULL_REQUEST_ID)")
}

func (p *postFlags) check(format string) error {
	if p.github && p.gitlab {
		return engine.Usagef("--post-github and --post-gitlab do not go together: choose one")
	}
	if (p.github || p.gitlab) && format != "markdown" {
		return engine.Usagef("posting needs --format markdown")
	}
	return nil
}

// post sends body, if asked to, and says where it went.
func (p *postFlags) post(ctx context.Context, c *cli, body string) error {
	if !p.github && !p.gitlab {
		return nil
	}
	pr, _ := c.lookup(resources.PullRequestVar)
	var target prcomment.Target
	var err error
	forge := "GitHub"
	if p.github {
		target, err = prcomment.GitHubFromEnv(c.lookup, pr)
	} else {
		forge = "GitLab"
		target, err = prcomment.GitLabFromEnv(c.lookup, pr)
	}
	if err != nil {
		return engine.Usagef("post to %s: %v", forge, err)
	}
	out, err := prcomment.Upsert(ctx, target, nil, diff.Marker, body)
	if err != nil {
		return fmt.Errorf("post to %s: %w", forge, err)
	}
	fmt.Fprintf(c.stderr, "run diff: %s the comment %d on pull request %s (%s)\n", out.Action, out.ID, pr, forge)
	return nil
}
