package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// ChangedSelection is the selection term that stands for the assets whose code
// version differs from the one last materialized in PRODUCTION, and everything
// downstream of them.
const ChangedSelection = "changed"

// assetState says whether an asset's code changed since PRODUCTION last
// materialized it, and whether an upstream was materialized after it.
type assetState struct {
	Changed bool
	Reason  string   // why it is changed
	StaleBy []string // upstreams materialized after it
	Checks  string   // its checks' latest results, e.g. "3/3 passed"
}

// assetStates compares each asset's code version under run config rc with
// PRODUCTION's record in the run store, and each asset's last materialization
// in this environment's database with its upstreams'. It also returns those
// last materializations in this environment (nil without a run store), read in
// the same visit to the store.
func (c *cli) assetStates(ctx context.Context, l *loaded, rc engine.RunConfig) (map[string]assetState, map[string]runstore.Materialization, error) {
	var prodMats, envMats map[string]runstore.Materialization
	var checks []runstore.CheckRecord
	if store, err := c.openStore(ctx, true); err == nil { // no store yet: nothing materialized
		prodMats, _ = store.LastMaterializationsIn(ctx, l.productionScope())
		envMats, _ = store.LastMaterializationsIn(ctx, l.scope())
		checks, _ = store.LastCheckEvaluations(ctx, l.env.Name)
		store.Close()
	}
	versions, err := l.catalog.CodeVersions(rc)
	if err != nil {
		return nil, envMats, err
	}
	out := map[string]assetState{}
	view := l.catalog.Describe()
	reasons := changedAssets(versions, prodMats)
	for _, a := range view.Assets {
		var st assetState
		st.Reason, st.Changed = reasons[a.Name]
		last := func(name string) (runstore.Materialization, bool) {
			if m, ok := envMats[name]; ok {
				return m, true
			}
			m, ok := prodMats[name] // a clone's tables are production's
			return m, ok
		}
		if mine, ok := last(a.Name); ok {
			for _, d := range a.Deps {
				if up, ok := last(d); ok && up.Time.After(mine.Time) {
					st.StaleBy = append(st.StaleBy, d)
				}
			}
		}
		st.Checks = checkSummary(checks, a.Name, l.catalog.AssetChecks(a.Name))
		out[a.Name] = st
	}
	return out, envMats, nil
}

// changedAssets returns, for each asset whose code version differs from the
// one last materialized in PRODUCTION, why. An asset without a version, or
// never materialized there, counts as changed: nothing tells it is not.
func changedAssets(versions map[string]string, prodMats map[string]runstore.Materialization) map[string]string {
	out := map[string]string{}
	for name, v := range versions {
		m, ok := prodMats[name]
		switch {
		case v == "":
			out[name] = "no code version: set Asset.CodeVersion so changes can be told"
		case !ok:
			out[name] = "never materialized in " + warehouse.Production
		case m.CodeVersion != v:
			out[name] = fmt.Sprintf("code version %s, %s has %s", v, warehouse.Production, dash(m.CodeVersion))
		}
	}
	return out
}

// changedSelection is the selection of the changed assets, each with
// everything downstream, in the catalog's order; "" when none changed.
func changedSelection(cat *engine.Catalog, changed map[string]string) string {
	names, _ := cat.SelectAssets("*")
	var terms []string
	for _, n := range names {
		if _, ok := changed[n]; ok {
			terms = append(terms, n+"*")
		}
	}
	return strings.Join(terms, ",")
}

// checkSummary renders an asset's checks' latest results.
func checkSummary(recs []runstore.CheckRecord, asset string, checks []string) string {
	if len(checks) == 0 {
		return "-"
	}
	passed, seen := 0, 0
	var failed []string
	for _, r := range recs {
		if r.Asset != asset || !slices.Contains(checks, r.Check) {
			continue
		}
		seen++
		if r.Passed {
			passed++
		} else {
			failed = append(failed, r.Check+"("+string(r.Severity)+")")
		}
	}
	if seen == 0 {
		return "not run"
	}
	s := fmt.Sprintf("%d/%d passed", passed, len(checks))
	if len(failed) > 0 {
		s += ", failed: " + strings.Join(failed, ",")
	}
	return s
}

// stateText is an asset's state for run list: changed, stale, or up to date.
func stateText(st assetState) string {
	var parts []string
	if st.Changed {
		parts = append(parts, "changed ("+st.Reason+")")
	}
	if len(st.StaleBy) > 0 {
		parts = append(parts, "stale ("+strings.Join(st.StaleBy, ",")+" materialized after it)")
	}
	if len(parts) == 0 {
		return "up to date"
	}
	return strings.Join(parts, "; ")
}

// resolveChanged replaces the term `changed` in a selection by the changed
// assets, each with everything downstream of it. It reports none when the
// selection named `changed` and nothing changed. A project with an asset
// named changed keeps its meaning.
func (c *cli) resolveChanged(ctx context.Context, l *loaded, rc engine.RunConfig, selection string) (sel string, none bool, err error) {
	terms := strings.Split(selection, ",")
	at := -1
	for i, t := range terms {
		if strings.TrimSpace(t) == ChangedSelection {
			at = i
		}
	}
	if at < 0 || l.catalog.HasAsset(ChangedSelection) {
		return selection, false, nil
	}
	versions, err := l.catalog.CodeVersions(rc)
	if err != nil {
		return "", false, err
	}
	var prodMats map[string]runstore.Materialization
	if store, err := c.openStore(ctx, true); err == nil {
		prodMats, err = store.LastMaterializationsIn(ctx, l.productionScope())
		store.Close()
		if err != nil {
			return "", false, err
		}
	}
	changed := changedAssets(versions, prodMats)
	for _, n := range slices.Sorted(maps.Keys(changed)) {
		l.log.Info().Str("asset", n).Msgf("changed: %s", changed[n])
	}
	var all []string
	if sel := changedSelection(l.catalog, changed); sel != "" {
		all = append(all, sel)
	}
	all = append(all, slices.Delete(slices.Clone(terms), at, at+1)...)
	return strings.Join(all, ","), len(all) == 0, nil
}

// addStates marks each shown asset changed or stale, with its checks, for
// run graph --status.
func addStates(view *engine.GraphView, states map[string]assetState) {
	for i := range view.Assets {
		st, ok := states[view.Assets[i].Name]
		if !ok || view.Assets[i].Status == nil {
			continue
		}
		s := view.Assets[i].Status
		s.Changed, s.StaleBy = st.Changed, st.StaleBy
		if st.Checks != "-" {
			s.Checks = st.Checks
		}
	}
}
