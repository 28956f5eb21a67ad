package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
)

// Errors about run config stay one line, in plain words, whatever the value.
func TestConfigErrorsAreOneLineInPlainWords(t *testing.T) {
	schema := engine.ConfigOf(itemsConfig{BaseItemID: 1000})
	for _, tc := range []struct {
		set  string
		want string
	}{
		{"items.base_item_id=", "base_item_id is empty: expected a whole number"},
		{"items.base_item_id=~", "base_item_id is empty"},
		{"items.base_item_id=1.5", "base_item_id = 1.5: expected a whole number"},
		{"items.base_item_id=abc", "base_item_id = abc: expected a whole number"},
		{`items.base_item_id="a\nb"`, `base_item_id = "a\nb": expected a whole number`},
		{"items.base_item_id=x: 1\ny: 2", `base_item_id = {"x":1,"y":2}: expected a whole number`},
		{"items.base_item_id=[1, 2]", "base_item_id = [1,2]: expected a whole number"},
		{"items.base_item_id=99999999999999999999", "expected a whole number"},
		{"items.label=[x]", `label = ["x"]: expected text`},
		{"items.label=" + strings.Repeat("z", 5000), ""}, // accepted: it is text
	} {
		rc := engine.RunConfig{}
		if err := rc.Set(tc.set); err != nil {
			t.Fatalf("--set %q: %v", tc.set, err)
		}
		_, err := schema.Decode(rc["items"])
		if tc.want == "" {
			if err != nil {
				t.Errorf("--set %.30q: %v", tc.set, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %q: error %v, want %q", tc.set, err, tc.want)
			continue
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || strings.Contains(msg, "int") && !strings.Contains(msg, "number") {
			t.Errorf("--set %q: %q is not one plain line", tc.set, msg)
		}
	}
}

// A run config naming 200,000 unknown nodes lists a few and counts the rest.
func TestUnknownNodeNamesAreCounted(t *testing.T) {
	c, _ := load(t, ok("items"), ok("comments", "items"))
	rc := engine.RunConfig{}
	const n = 200_000
	for i := 0; i < n; i++ {
		rc[fmt.Sprintf("node%06d", i)] = map[string]any{"k": 1}
	}
	rc["itmes"] = map[string]any{"k": 1}
	_, err := c.PlanAssets("*", rc)
	if err == nil {
		t.Fatal("unknown nodes accepted")
	}
	msg := err.Error()
	if len(msg) > 2000 {
		t.Errorf("the error is %d bytes long", len(msg))
	}
	if !strings.Contains(msg, fmt.Sprintf("and %d more", n+1-5)) {
		t.Errorf("error does not count the rest: %.300s", msg)
	}
	if strings.Count(msg, "no such node") != 5 {
		t.Errorf("error lists %d names, want 5: %.300s", strings.Count(msg, "no such node"), msg)
	}
}

// A node name with a line break in a config file is shown quoted, on one line.
func TestRunConfigNodeNameWithNewline(t *testing.T) {
	_, err := engine.ParseRunConfig([]byte("ops:\n  \"a\\nb\": 3\n"))
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), `"a\nb"`) {
		t.Errorf("error %q", err)
	}
}
