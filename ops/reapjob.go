package ops

import (
	"strconv"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/clones"
)

// ReapConfig configures reap_stale_clones.
type ReapConfig struct {
	OlderThan   string  `yaml:"older_than" doc:"drop clones not refreshed for longer, e.g. 14d"`
	Keep        []int64 `yaml:"keep" doc:"PR ids whose clones are never dropped"`
	OpenPRsFile string  `yaml:"open_prs_file" doc:"a file listing the open PR ids (one a line); their clones are kept"`
	DryRun      bool    `yaml:"dry_run" doc:"report what would be dropped, drop nothing"`
}

// Validate checks the age.
func (c ReapConfig) Validate() error {
	_, err := clones.ParseAge(c.OlderThan)
	return err
}

// ReapStaleClones is the op of the reap_stale_clones job.
func ReapStaleClones() engine.Op {
	return engine.Op{
		Name:        "reap_stale_clones",
		Description: "drops pull-request clones not refreshed within older_than, except kept and open ones",
		Resources:   []string{resources.WarehouseKey.Name()},
		Config:      engine.ConfigOf(ReapConfig{OlderThan: "14d"}),
		Compute: func(ctx *engine.Context) (any, error) {
			cfg, err := engine.Config[ReapConfig](ctx)
			if err != nil {
				return nil, err
			}
			rules := clones.ReapRules{Keep: map[string]bool{}, Open: map[string]bool{}, Now: time.Now()}
			rules.OlderThan, _ = clones.ParseAge(cfg.OlderThan)
			for _, id := range cfg.Keep {
				rules.Keep[strconv.FormatInt(id, 10)] = true
			}
			if cfg.OpenPRsFile != "" {
				open, err := clones.ReadOpenPRs(cfg.OpenPRsFile)
				if err != nil {
					return nil, err
				}
				rules.Open = open
			}
			wh, err := resources.WarehouseKey.From(ctx)
			if err != nil {
				return nil, err
			}
			return clones.Reap(ctx, ctx.Log, wh, rules, cfg.DryRun)
		},
	}
}
