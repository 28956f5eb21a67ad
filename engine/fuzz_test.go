package engine_test

import (
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
)

// FuzzRunConfig: config files and --set assignments never panic; whatever
// decodes satisfies the config's own validation.
func FuzzRunConfig(f *testing.F) {
	for _, s := range []string{"ops:\n  items:\n    config:\n      base_item_id: 50\n", "ops: {items: {config: {base_item_id: -1}}}",
		"ops:\n  items:\n    config:\n      base_item_id: [1]\n", "ops: 3", "{{", "ops:\n  items:\n    config:\n      nope: 1\n"} {
		f.Add(s, "items.base_item_id=7")
	}
	f.Add("", "items.base_item_id=1e9")
	f.Add("", "items.=")
	f.Add("", "items.base_item_id=")
	f.Add("", "items.base_item_id=1.5")
	f.Add("", "items.base_item_id=x: 1\ny: 2")
	f.Add("ops:\n  \"a\\nb\": 3\n", "items.label=\"a\\nb\"")
	schema := engine.ConfigOf(itemsConfig{BaseItemID: 1000})
	f.Fuzz(func(t *testing.T, file, set string) {
		rc, err := engine.ParseRunConfig([]byte(file))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			return
		}
		if err := rc.Set(set); err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("--set error is not one line: %q", err)
		}
		v, err := schema.Decode(rc["items"])
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "int64") {
				t.Errorf("config error is not one plain line: %q", msg)
			}
			return
		}
		if cfg := v.(itemsConfig); cfg.BaseItemID <= 0 {
			t.Errorf("decoded an invalid config %+v", cfg)
		}
	})
}
