package main

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The branch workflows build `changed` (unless forced), then post run diff as
// one comment, even after a failing check.
func TestWorkflowsBuildChangedAndPostTheDiff(t *testing.T) {
	var gh struct {
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			Steps []struct {
				If  string            `yaml:"if"`
				Run string            `yaml:"run"`
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	readYAML(t, "../../deploy/github/assetflow-branch-deployments.yml", &gh)
	steps := gh.Jobs["clone_prod"].Steps
	var runs []string
	for _, s := range steps {
		runs = append(runs, s.Run)
	}
	all := strings.Join(runs, "\n")
	assets, diff := strings.Index(all, "run assets --select \"$ASSETFLOW_SELECT\""), strings.Index(all, "run diff --format markdown --post-github")
	if assets < 0 || diff < assets {
		t.Fatalf("github: diff must follow assets:\n%s", all)
	}
	for _, s := range steps {
		switch {
		case strings.Contains(s.Run, "run assets"):
			if sel := s.Env["ASSETFLOW_SELECT"]; !strings.Contains(sel, "'changed'") || !strings.Contains(sel, "assetflow-full-build") {
				t.Errorf("github: assets selection %q", sel)
			}
		case strings.Contains(s.Run, "run diff"):
			if !strings.Contains(s.If, "!cancelled()") || !strings.Contains(s.Env["GITHUB_TOKEN"], "secrets.GITHUB_TOKEN") {
				t.Errorf("github: diff step if %q env %v", s.If, s.Env)
			}
		}
	}
	if gh.Permissions["pull-requests"] != "write" {
		t.Errorf("github: permissions %v", gh.Permissions)
	}

	var gl map[string]struct {
		Script      []string `yaml:"script"`
		AfterScript []string `yaml:"after_script"`
	}
	var raw map[string]any
	readYAML(t, "../../deploy/gitlab/.gitlab-ci.yml", &raw)
	delete(raw, "stages")
	if err := remarshal(raw, &gl); err != nil {
		t.Fatal(err)
	}
	script := strings.Join(gl["clone_prod"].Script, "\n")
	if !strings.Contains(script, `run assets --select "$SELECT"`) || !strings.Contains(script, "${ASSETFLOW_SELECT:-changed}") ||
		!strings.Contains(script, "assetflow-full-build") {
		t.Errorf("gitlab script:\n%s", script)
	}
	if after := strings.Join(gl["clone_prod"].AfterScript, "\n"); !strings.Contains(after, "run diff --format markdown --post-gitlab") {
		t.Errorf("gitlab after_script: %s", after)
	}
}

func remarshal(in, out any) error {
	b, err := yaml.Marshal(in)
	if err != nil {
		return err
	}
	return yaml.Unmarshal(b, out)
}
