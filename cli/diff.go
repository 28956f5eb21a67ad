package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/diff"
)

// diffFlags are the flags of run diff.
type diffFlags struct {
	selection  string
	base, head string
	asJSON     bool
	format     string
	samples    int
	post       postFlags
}

func (c *cli) diffCmd() *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Compare each asset's table in this branch's clone with PRODUCTION (schema, rows, samples)",
		Long: `Compare each selected asset's table in the environment's database (in branch,
PRODUCTION_CLONE_<id>) with the same table in PRODUCTION, or any two databases with
--base and --head. Per table: columns added, removed and retyped; row counts; and, for an
asset that declares a key, the rows added, removed and changed with the count of changed
values per column and a few sample rows of each kind. Everything is computed inside the
warehouse in SQL; PRODUCTION is only read. The latest result of each asset check is shown
too.

Formats: text (default), markdown (a pull-request comment; see --post-github and
--post-gitlab), or --json.

` + engine.SelectionHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.runDiff(cmd.Context(), cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.selection, "select", "*", "assets to compare")
	fl.StringVar(&f.base, "base", warehouse.Production, "the database compared against")
	fl.StringVar(&f.head, "head", "", "the database with the changes (default: this environment's database)")
	fl.BoolVar(&f.asJSON, "json", false, "write JSON")
	fl.StringVar(&f.format, "format", "text", "text or markdown")
	fl.IntVar(&f.samples, "samples", diff.DefaultSamples, "sample rows of each kind per table (0: none, at most 100)")
	f.post.register(cmd)
	return cmd
}

func (c *cli) runDiff(ctx context.Context, cmd *cobra.Command, f diffFlags) error {
	if !slices.Contains([]string{"text", "markdown"}, f.format) {
		return engine.Usagef("--format %q: expected text or markdown (or --json)", f.format)
	}
	if f.asJSON && cmd.Flags().Changed("format") {
		return engine.Usagef("--json and --format do not go together: choose one")
	}
	if f.samples < 0 || f.samples > 100 {
		return engine.Usagef("--samples %d: expected a number from 0 to 100", f.samples)
	}
	if err := f.post.check(f.format); err != nil {
		return err
	}
	l, err := c.load()
	if err != nil {
		return err
	}
	head := f.head
	if head == "" {
		head = l.env.Database()
	}
	for _, db := range []struct{ flag, v string }{{"--base", f.base}, {"--head", head}} {
		if err := warehouse.CheckIdent("database", db.v); err != nil {
			return engine.Usagef("%s: %v", db.flag, err)
		}
	}
	if strings.EqualFold(f.base, head) {
		return engine.Usagef("run diff compares two databases, but base and head are both %s: run it in a branch deployment (--env branch), or name another database with --head", head)
	}
	names, err := l.catalog.SelectAssets(f.selection)
	if err != nil {
		return err
	}
	samples := f.samples
	if samples == 0 {
		samples = -1
	}
	report := &diff.Report{Base: f.base, Head: head, Tables: []*diff.Table{}}
	byManager := map[string][]string{}
	for _, n := range names {
		key := l.catalog.AssetIOManager(n)
		byManager[key] = append(byManager[key], n)
	}
	for _, key := range slices.Sorted(maps.Keys(byManager)) {
		err := l.catalog.WithResource(ctx, key, func(v any) error {
			iom, ok := v.(*warehouse.IOManager)
			if !ok {
				return fmt.Errorf("run diff: assets of I/O manager %s are not warehouse tables (%T)", key, v)
			}
			src, closeSource, err := diffSource(ctx, l.spec, iom.Warehouse, f.base, head)
			if err != nil {
				return err
			}
			defer closeSource()
			for _, n := range byManager[key] {
				h := iom.Ref(n)
				h.Database = head
				b := h
				b.Database = f.base
				t, err := diff.Compare(ctx, src, b, h, diff.Options{Key: l.catalog.AssetKey(n), Samples: samples})
				if err != nil {
					return fmt.Errorf("asset %s: %w", n, err)
				}
				t.Asset = n
				report.Tables = append(report.Tables, t)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	slices.SortStableFunc(report.Tables, func(a, b *diff.Table) int { return slices.Index(names, a.Asset) - slices.Index(names, b.Asset) })
	report.Checks = c.lastChecks(ctx, l, names)
	switch {
	case f.asJSON:
		return report.WriteJSON(c.stdout)
	case f.format == "markdown":
		var b strings.Builder
		if err := report.WriteMarkdown(&b); err != nil {
			return err
		}
		if _, err := io.WriteString(c.stdout, b.String()); err != nil {
			return err
		}
		return f.post.post(ctx, c, b.String())
	}
	return report.WriteText(c.stdout)
}

// lastChecks returns the latest evaluation of each check of the given assets,
// from the run store if there is one.
func (c *cli) lastChecks(ctx context.Context, l *loaded, assets []string) []diff.CheckResult {
	store, err := c.openStore(ctx, true)
	if err != nil {
		return nil
	}
	defer store.Close()
	recs, err := store.LastCheckEvaluations(ctx, l.env.Name)
	if err != nil {
		return nil
	}
	var out []diff.CheckResult
	for _, r := range recs {
		if slices.Contains(assets, r.Asset) && slices.Contains(l.catalog.AssetChecks(r.Asset), r.Check) {
			out = append(out, diff.CheckResult{Asset: r.Asset, Check: r.Check, Severity: string(r.Severity), Passed: r.Passed,
				FailingRows: r.FailingRows, RunID: r.RunID})
		}
	}
	return out
}
