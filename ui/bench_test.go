package ui

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/browsertest"
	"github.com/assetflow/assetflow/internal/runstore"
)

// generated returns n no-op assets in groups of 50. Within a group, five layers
// of ten each read one asset of the layer before; the first layer of every group
// but the first reads group 0's first layer, as projects read a shared source.
func generated(n int, first func(*engine.Context) (any, error)) []engine.Asset {
	noop := func(*engine.Context) (any, error) { return int64(1), nil }
	out := make([]engine.Asset, n)
	for i := range out {
		g, k := i/50, i%50
		a := engine.Asset{Name: fmt.Sprintf("asset_%05d", i), Group: fmt.Sprintf("group_%03d", g), Compute: noop,
			Description: "generated asset"}
		switch {
		case k >= 10:
			a.Deps = []string{fmt.Sprintf("asset_%05d", g*50+(k/10-1)*10+k%10)}
		case g > 0:
			a.Deps = []string{fmt.Sprintf("asset_%05d", k)}
		}
		out[i] = a
	}
	if first != nil {
		out[0].Compute = first
	}
	return out
}

// generatedFixture serves the UI over n generated assets.
func generatedFixture(b *testing.B, n int) *fixture { return generatedFixtureT(b, n) }

func generatedFixtureT(b testing.TB, n int) *fixture {
	b.Helper()
	f := &fixture{t: b}
	io := &memIO{values: map[string]any{}}
	// The first asset waits for the fixture's gate, if there is one, so a
	// benchmark can open the run page before the run gets going.
	first := func(ctx *engine.Context) (any, error) {
		if gate := f.gate; gate != nil {
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return int64(1), nil
	}
	cat, err := engine.Load(engine.Definitions{Env: "local", Assets: generated(n, first),
		Resources: map[string]engine.Resource{engine.DefaultIOManager: {Open: func(context.Context, engine.Deps) (any, error) { return io, nil }}}})
	if err != nil {
		b.Fatal(err)
	}
	f.catalog = cat
	if f.store, err = runstore.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "runs.db")); err != nil {
		b.Fatal(err)
	}
	f.srv, err = New(Config{Catalog: cat, Store: f.store, Plan: f.plan, Launch: f.launch, Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	f.http = httptest.NewServer(f.srv)
	b.Cleanup(func() {
		f.http.Close()
		f.srv.stopRun()
		f.runs.Wait()
		f.store.Close()
	})
	return f
}

// BenchmarkAssetsPageInteractive measures, in headless Chromium, the time from
// the start of navigation until the assets page's script has attached its
// handlers (performance.now() at that point), for generated projects. Above 300
// assets groups start collapsed; "expanded" draws every asset.
func BenchmarkAssetsPageInteractive(b *testing.B) {
	for _, c := range []struct {
		n     int
		query string
	}{{100, ""}, {1000, ""}, {1000, "?collapsed=none"}, {10000, ""}, {10000, "?collapsed=none"}} {
		name := fmt.Sprintf("assets=%d", c.n)
		if c.query != "" {
			name += "/expanded"
		}
		b.Run(name, func(b *testing.B) {
			f := generatedFixture(b, c.n)
			br := browsertest.New(b)
			br.Open(f.http.URL + "/assets" + c.query) // warm: browser start, first compile
			var ready, painted float64
			b.ResetTimer()
			for range b.N {
				br.Open(f.http.URL + "/assets" + c.query)
				br.WaitJS("painted", `window.assetflowPaintedAt > 0`, 60*time.Second)
				ready += browsertest.Eval[float64](br, `window.assetflowReadyAt`)
				painted += browsertest.Eval[float64](br, `window.assetflowPaintedAt`)
			}
			b.ReportMetric(ready/float64(b.N), "ms-to-interactive")
			b.ReportMetric(painted/float64(b.N), "ms-to-painted")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkLiveRunLag follows a run of 10,000 no-op nodes on its run page and
// reports how far behind the page was: the largest delay between an event's
// time and its arrival in the page while the run was in progress, and the time
// from the run's end to the page showing it. The page is opened (and its time
// to follow the run reported) while the first node waits, then the run goes.
func BenchmarkLiveRunLag(b *testing.B) {
	f := generatedFixture(b, 10000)
	br := browsertest.New(b)
	var maxLag, endLag, events float64
	var ready float64
	for range b.N {
		f.gate = make(chan struct{})
		id, err := f.launch(f.srv.runCtx, LaunchRequest{Kind: "assets", Selection: "*"}, engine.RunConfig{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		br.Open(f.http.URL + "/runs/" + id)
		br.WaitJS("run page following", `document.querySelectorAll("#events tbody tr").length >= 2`, 60*time.Second)
		ready += float64(time.Since(start).Milliseconds())
		close(f.gate)
		br.WaitJS("run followed to its end", `document.body.dataset.ended === "1"`, 120*time.Second)
		d := f.waitRun(id)
		end := d.Start.Add(d.Duration)
		b.Logf("run of %d nodes took %s", len(d.Nodes), d.Duration)
		maxLag += browsertest.Eval[float64](br, `window.assetflowLag.max`)
		events += browsertest.Eval[float64](br, `window.assetflowLag.count`)
		endLag += browsertest.Eval[float64](br, `window.assetflowEndShownAt`) - float64(end.UnixMilli())
	}
	b.ReportMetric(maxLag/float64(b.N), "ms-max-event-lag")
	b.ReportMetric(endLag/float64(b.N), "ms-end-shown-after")
	b.ReportMetric(events/float64(b.N), "events-followed-live")
	b.ReportMetric(ready/float64(b.N), "ms-run-page-ready")
	b.ReportMetric(0, "ns/op")
}
