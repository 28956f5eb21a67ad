// Package clones decides which pull-request clones of production are stale
// and drops them: the policy behind `run clones reap` and the reap_stale_clones
// job. It never drops PRODUCTION, nor a database not recorded as a clone.
package clones

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// Verdicts of the reaper.
const (
	Drop   = "drop"
	Keep   = "keep"
	Report = "report" // named like a clone but not recorded as one: never dropped
	// RemoveTemp is a name with only the temporary file of a clone that never
	// finished: reaping removes the file unless a clone is writing it.
	RemoveTemp = "remove-temp"
)

// Verdict is what the reaper decides for one clone, and why.
type Verdict struct {
	warehouse.CloneRecord
	Age    time.Duration `json:"age_ns"`
	Action string        `json:"action"`
	Reason string        `json:"reason"`
}

// ReapRules say which clones are stale.
type ReapRules struct {
	OlderThan time.Duration   // clones not refreshed for longer are dropped
	Keep      map[string]bool // PR ids never dropped
	Open      map[string]bool // PR ids still open: never dropped
	Now       time.Time
}

// Decide judges each clone. It drops only a database that is a clone by name
// and by its recorded origin (PRODUCTION), older than the threshold, and whose
// pull request is neither kept nor open.
func Decide(clones []warehouse.CloneRecord, r ReapRules) []Verdict {
	out := make([]Verdict, 0, len(clones))
	for _, c := range clones {
		v := Verdict{CloneRecord: c, Action: Keep}
		if !c.ClonedAt.IsZero() {
			v.Age = r.Now.Sub(c.ClonedAt)
		}
		switch {
		case c.Name == warehouse.Production || !strings.HasPrefix(c.Name, warehouse.ClonePrefix):
			continue // never a candidate
		case c.Bytes < 0 && c.TempBytes > 0 && c.Origin == "":
			v.Action, v.Reason = RemoveTemp, fmt.Sprintf("only a temporary file of an unfinished clone (%d bytes)", c.TempBytes)
		case c.Origin != warehouse.Production:
			v.Action, v.Reason = Report, "no recorded origin: not made by clone_prod, so left alone"
		case r.Keep[c.PRID]:
			v.Reason = "kept (--keep)"
		case r.Open[c.PRID]:
			v.Reason = "pull request still open"
		case v.Age <= r.OlderThan:
			v.Reason = fmt.Sprintf("refreshed %s ago, within %s", roundAge(v.Age), roundAge(r.OlderThan))
		default:
			v.Action, v.Reason = Drop, fmt.Sprintf("not refreshed for %s (over %s)", roundAge(v.Age), roundAge(r.OlderThan))
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FormatSize writes a clone's size in KiB, MiB or GiB; "-" when unknown (negative).
func FormatSize(b int64) string {
	switch {
	case b < 0:
		return "-"
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", b>>10)
}

// FormatAge writes an age as days past two days, else hours and minutes.
func FormatAge(d time.Duration) string { return roundAge(d) }

func roundAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

// MaxAgeDays bounds an age: 100 years, far below where a duration overflows
// (about 106,751 days), so no age wraps round to "drop everything".
const MaxAgeDays = 36500

// ParseAge reads a duration such as 14d, 36h or 90m, from 0 to MaxAgeDays days.
// What overflows or exceeds the bound is an error, never a wrapped value.
func ParseAge(s string) (time.Duration, error) {
	const maxAge = MaxAgeDays * 24 * time.Hour
	bad := fmt.Errorf("age %q: expected a duration from 0 to %dd, such as 14d, 36h or 90m", s, MaxAgeDays)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > MaxAgeDays || strings.HasPrefix(days, "+") {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s) // an overflow is an error here
	if err != nil || d < 0 || d > maxAge {
		return 0, bad
	}
	return d, nil
}

// ParsePRIDs reads a comma-separated list of PR ids.
func ParsePRIDs(list string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range strings.Split(list, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if err := warehouse.CheckPRID(id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, nil
}

// ReadOpenPRs reads a file of open PR ids: one a line (or comma-separated), #
// starting a comment.
func ReadOpenPRs(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open PRs file: %w", err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		ids, err := ParsePRIDs(text)
		if err != nil {
			return nil, fmt.Errorf("open PRs file %s line %d: %w", path, line, err)
		}
		for id := range ids {
			out[id] = true
		}
	}
	return out, sc.Err()
}

// Reap drops the clones Decide marks, logging each verdict. With dryRun it
// drops nothing.
func Reap(ctx context.Context, log zerolog.Logger, wh warehouse.Warehouse, rules ReapRules, dryRun bool) ([]Verdict, error) {
	clones, err := wh.ListClones(ctx)
	if err != nil {
		return nil, err
	}
	verdicts := Decide(clones, rules)
	for _, v := range verdicts {
		log.Info().Str("clone", v.Name).Str("action", v.Action).Str("reason", v.Reason).Bool("dry_run", dryRun).Msg("reap")
		if v.Action == Drop && !dryRun {
			if err := wh.DropDatabase(ctx, v.Name); err != nil {
				return verdicts, err
			}
		}
	}
	// Temporary files killed clones left, of any name; a running clone's stays.
	if tr, ok := wh.(warehouse.TempRemover); ok && !dryRun {
		freed, err := tr.RemoveStaleTemps(ctx)
		if err != nil {
			return verdicts, err
		}
		if freed > 0 {
			log.Info().Int64("bytes", freed).Msg("removed temporary files of unfinished clones")
		}
	}
	return verdicts, nil
}
