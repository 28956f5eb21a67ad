package bench

import (
	"fmt"
	"image/color"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Machine describes where the suite ran.
func Machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s %s/%s", cpu, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// WriteReport writes the scenarios as Markdown tables.
func WriteReport(w io.Writer, scenarios []Scenario, runs int, quick bool) error {
	mode := "full"
	if quick {
		mode = "quick (smaller sizes, fewer runs: for CI, not for quoting)"
	}
	fmt.Fprintf(w, "# assetflow benchmarks\n\nMade by `go run ./cmd/bench` on %s, %s. Mode: %s. "+
		"Every figure is the median of %d runs (min and max beside it) measured in the same run as its baseline; "+
		"compare the ratios, not absolute times, across machines.\n", Machine(), time.Now().UTC().Format("2006-01-02 15:04 MST"), mode, runs)
	for _, sc := range scenarios {
		fmt.Fprintf(w, "\n## %s\n\n%s\n\n", sc.Title, sc.Note)
		fmt.Fprintf(w, "| case | assetflow (median) | min .. max | baseline | baseline (median) | ratio | |\n|---|---|---|---|---|---|---|\n")
		for _, r := range sc.Rows {
			fmt.Fprintf(w, "| %s | %s %s | %s .. %s | %s | %s | %.2f | %s |\n", r.Case, fmtNum(r.Ours.Median()), r.Unit,
				fmtNum(r.Ours.Min()), fmtNum(r.Ours.Max()), r.Base, fmtNum(r.Baseline.Median()), r.Ratio(), r.Extra)
		}
		if sc.Chart != "" {
			fmt.Fprintf(w, "\n![%s](benchmarks/%s)\n", sc.Title, sc.Chart)
		}
	}
	return nil
}

// LineChart saves a chart of series (name -> y per x) as a PNG.
func LineChart(path, title, xLabel, yLabel string, xs []float64, series map[string][]float64, logX bool) error {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	colors := []color.Color{color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 214, G: 39, B: 40, A: 255}, color.RGBA{R: 44, G: 160, B: 44, A: 255}}
	i := 0
	for _, name := range slices.Sorted(maps.Keys(series)) {
		pts := make(plotter.XYs, len(xs))
		for k := range xs {
			pts[k].X, pts[k].Y = xs[k], series[name][k]
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color, points.Color = colors[i%len(colors)], colors[i%len(colors)]
		p.Add(line, points)
		p.Legend.Add(name, line, points)
		i++
	}
	p.Legend.Top = true
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return p.Save(7*vg.Inch, 4*vg.Inch, path)
}
