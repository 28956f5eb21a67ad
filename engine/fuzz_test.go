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
	schema := engine.ConfigOf(itemsConfig{BaseItemID: 1000})
	f.Fuzz(func(t *testing.T, file, set string) {
		rc, err := engine.ParseRunConfig([]byte(file))
		if err != nil {
			if strings.Contains(err.Error(), "\n\n") {
				t.Errorf("error is not one clear message: %q", err)
			}
			return
		}
		_ = rc.Set(set)
		v, err := schema.Decode(rc["items"])
		if err != nil {
			return
		}
		if cfg := v.(itemsConfig); cfg.BaseItemID <= 0 {
			t.Errorf("decoded an invalid config %+v", cfg)
		}
	})
}
