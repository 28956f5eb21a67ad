package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/ops"
	"github.com/assetflow/assetflow/resources"
)

// commandPattern finds the run commands a CI script invokes.
var commandPattern = regexp.MustCompile(`go run \./cmd/run (job (\S+)|assets)`)

// checkScript checks every command of a CI job: each names a job that exists
// and is defined in the environment the job's variables give under the real rule.
func checkScript(t *testing.T, where string, lines []string, vars map[string]string, wantJobs map[string]bool) {
	t.Helper()
	for _, line := range lines {
		m := commandPattern.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		// Substitute a pull request number for the CI expression.
		lookup := func(k string) (string, bool) {
			v, ok := vars[k]
			if ok && k == resources.PullRequestVar && (strings.Contains(v, "${{") || strings.HasPrefix(v, "$")) {
				return "42", true
			}
			return v, ok
		}
		env, err := resources.ResolveEnvironment("", lookup)
		if err != nil {
			t.Errorf("%s: the variables give no environment: %v", where, err)
			continue
		}
		if m[2] == "" {
			continue // run assets: any environment
		}
		var job *engine.Job
		for _, j := range ops.Jobs() {
			if j.Name == m[2] {
				job = &j
			}
		}
		switch {
		case job == nil:
			t.Errorf("%s runs job %q, which does not exist", where, m[2])
		case len(job.Envs) > 0 && !slices.Contains(job.Envs, env.Name):
			t.Errorf("%s runs job %s in the %s environment; it is defined for %v", where, m[2], env.Name, job.Envs)
		}
		wantJobs[m[2]] = true
	}
}

func TestGitHubWorkflow(t *testing.T) {
	var wf struct {
		On struct {
			PullRequest struct {
				Types []string `yaml:"types"`
			} `yaml:"pull_request"`
		} `yaml:"on"`
		Env  map[string]string `yaml:"env"`
		Jobs map[string]struct {
			If    string            `yaml:"if"`
			Env   map[string]string `yaml:"env"`
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	readYAML(t, "../../deploy/github/assetflow-branch-deployments.yml", &wf)
	if got := strings.Join(wf.On.PullRequest.Types, ","); got != "opened,synchronize,reopened,closed" {
		t.Errorf("pull_request types %q", got)
	}
	for _, secret := range []string{resources.PasswordVar, resources.CredentialVar("branch", "PRIVATE_KEY"),
		resources.CredentialVar("branch", "PRIVATE_KEY_PASSPHRASE")} {
		if !strings.Contains(wf.Env[secret], "secrets.") {
			t.Errorf("%s does not come from the secret store: %q", secret, wf.Env[secret])
		}
	}
	jobs := map[string]bool{}
	for name, job := range wf.Jobs {
		vars := map[string]string{}
		for k, v := range wf.Env {
			vars[k] = v
		}
		for k, v := range job.Env {
			vars[k] = v
		}
		var lines []string
		for _, s := range job.Steps {
			lines = append(lines, s.Run)
		}
		before := len(jobs)
		checkScript(t, "github job "+name, lines, vars, jobs)
		runsDrop := strings.Contains(strings.Join(lines, "\n"), "drop_prod_clone")
		if runsDrop != strings.Contains(job.If, "== 'closed'") || len(jobs) == before {
			t.Errorf("github job %s: if %q does not match what it runs", name, job.If)
		}
	}
	if !jobs["clone_prod"] || !jobs["drop_prod_clone"] {
		t.Errorf("jobs run: %v", jobs)
	}
	var steps []string
	for _, s := range wf.Jobs["clone_prod"].Steps {
		steps = append(steps, s.Run)
	}
	checksFirst(t, "github job clone_prod", steps)
}

// checksFirst fails unless `run env --check` runs before the clone is made.
func checksFirst(t *testing.T, where string, lines []string) {
	t.Helper()
	check := slices.IndexFunc(lines, func(l string) bool { return strings.HasSuffix(l, "run env --check") })
	clone := slices.IndexFunc(lines, func(l string) bool { return strings.HasSuffix(l, "job clone_prod") })
	if check < 0 || clone < 0 || check > clone {
		t.Errorf("%s: run env --check must run before job clone_prod: %q", where, lines)
	}
}

func TestGitLabPipeline(t *testing.T) {
	var doc map[string]struct {
		Extends     string            `yaml:"extends"`
		Variables   map[string]string `yaml:"variables"`
		Script      []string          `yaml:"script"`
		Environment struct {
			OnStop string `yaml:"on_stop"`
			Action string `yaml:"action"`
		} `yaml:"environment"`
	}
	var raw map[string]any
	readYAML(t, "../../deploy/gitlab/.gitlab-ci.yml", &raw)
	delete(raw, "stages")
	b, _ := yaml.Marshal(raw)
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]bool{}
	for name, job := range doc {
		if strings.HasPrefix(name, ".") {
			continue
		}
		vars := map[string]string{}
		for k, v := range doc[job.Extends].Variables {
			vars[k] = v
		}
		for k, v := range job.Variables {
			vars[k] = v
		}
		checkScript(t, "gitlab job "+name, job.Script, vars, jobs)
	}
	if !jobs["clone_prod"] || !jobs["drop_prod_clone"] {
		t.Errorf("jobs run: %v", jobs)
	}
	checksFirst(t, "gitlab job clone_prod", doc["clone_prod"].Script)
	if doc["clone_prod"].Environment.OnStop != "drop_prod_clone" || doc["drop_prod_clone"].Environment.Action != "stop" {
		t.Error("drop_prod_clone is not the review environment's stop job")
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// The scheduled reapers run reap_stale_clones, outside a branch deployment, with
// the open pull requests listed.
func TestReapWorkflows(t *testing.T) {
	var gh struct {
		On   map[string]any    `yaml:"on"`
		Env  map[string]string `yaml:"env"`
		Jobs map[string]struct {
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	readYAML(t, "../../deploy/github/assetflow-reap-clones.yml", &gh)
	if _, ok := gh.On["schedule"]; !ok {
		t.Error("the GitHub reaper has no schedule")
	}
	jobs := map[string]bool{}
	for name, job := range gh.Jobs {
		var lines []string
		for _, s := range job.Steps {
			lines = append(lines, s.Run)
		}
		checkScript(t, "github job "+name, lines, gh.Env, jobs)
		if !strings.Contains(strings.Join(lines, "\n"), "open_prs_file=open-prs.txt") {
			t.Errorf("github job %s does not pass the open pull requests", name)
		}
	}
	var gl map[string]struct {
		Rules []struct {
			If string `yaml:"if"`
		} `yaml:"rules"`
		Variables map[string]string `yaml:"variables"`
		Script    []string          `yaml:"script"`
	}
	readYAML(t, "../../deploy/gitlab/assetflow-reap-clones.gitlab-ci.yml", &gl)
	for name, job := range gl {
		checkScript(t, "gitlab job "+name, job.Script, job.Variables, jobs)
		if len(job.Rules) == 0 || !strings.Contains(job.Rules[0].If, `"schedule"`) {
			t.Errorf("gitlab job %s does not run on a schedule", name)
		}
	}
	if !jobs["reap_stale_clones"] {
		t.Errorf("jobs run: %v", jobs)
	}
}
