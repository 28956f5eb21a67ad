package cli_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The framework's packages import no project: nothing of the Hacker News
// assets, client or ops, and no command. The roots are every package a
// project imports (cli, engine, enginetest, resources, sqlasset) and ui, which
// cli serves.
func TestFrameworkImportsNoProject(t *testing.T) {
	const mod = "github.com/assetflow/assetflow"
	roots := []string{mod + "/cli", mod + "/engine", mod + "/engine/enginetest", mod + "/resources/...", mod + "/sqlasset", mod + "/ui"}
	cmd := exec.Command("go", append([]string{"list", "-deps"}, roots...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list listed only %d packages: %v", len(deps), deps)
	}
	seen := map[string]bool{}
	for _, p := range deps {
		seen[p] = true
		for _, bad := range []string{mod + "/assets", mod + "/ops", mod + "/cmd/", mod + "/internal/cmd/", mod + "/examples"} {
			if p == bad || strings.HasPrefix(p, bad+"/") || strings.HasPrefix(p, bad) && strings.HasSuffix(bad, "/") {
				t.Errorf("the framework imports %s", p)
			}
		}
		if strings.Contains(strings.ToLower(p), "hackernews") {
			t.Errorf("the framework imports %s", p)
		}
	}
	for _, want := range []string{mod + "/cli", mod + "/engine", mod + "/resources/warehouse", mod + "/sqlasset", mod + "/ui"} {
		if !seen[want] {
			t.Errorf("%s missing from the list: the check looks at the wrong packages", want)
		}
	}
}
