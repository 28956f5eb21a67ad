package cli

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/clones"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/ui"
)

func (c *cli) uiCmd() *cobra.Command {
	var listen string
	var readOnly bool
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Serve the web UI: asset graph, runs, jobs, Launchpad, clones, environment",
		Long: `Serve the web UI and its JSON API (under /api/, see README.md) until interrupted.

It listens on 127.0.0.1 by default. Any other address needs ` + ui.TokenVar + `: the
server refuses to start without it, and every request must then carry it
(?token= once in the browser, or Authorization: Bearer). Runs launched from the UI
run in this process exactly as run assets / run job run them, and are recorded in
the same run store; runs of other processes show up too. --read-only hides and
refuses launching and re-executing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			token, _ := c.lookup(ui.TokenVar)
			if err := ui.CheckListen(listen, token); err != nil {
				return err
			}
			l, err := c.load()
			if err != nil {
				return err
			}
			store, err := c.openStore(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer store.Close()
			us, ok := store.(ui.Store)
			if !ok {
				return fmt.Errorf("ui: the run store %T cannot serve the UI", store)
			}
			var runs sync.WaitGroup
			defer runs.Wait() // runs end when the server's context ends; let them record it
			srv, err := ui.New(c.uiConfig(l, us, &runs, readOnly, token))
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return engine.Usagef("--listen %s: %v", listen, err)
			}
			c.printf("assetflow UI on %s (environment %s; Ctrl-C stops it)\n", ui.URL(ln.Addr()), l.env.Name)
			return srv.Serve(cmd.Context(), ln)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", ui.DefaultListen, "address to listen on (anything but loopback needs "+ui.TokenVar+")")
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "hide and refuse launching and re-executing runs")
	return cmd
}

// uiConfig gives the UI this CLI's catalog, run store, planning and launching,
// so a run launched from the browser is planned, run and recorded exactly as
// run assets / run job do it.
func (c *cli) uiConfig(l *loaded, store ui.Store, runs *sync.WaitGroup, readOnly bool, token string) ui.Config {
	plan := func(ctx context.Context, req ui.LaunchRequest, rc engine.RunConfig) (*engine.Plan, error) {
		p, err := c.planRun(ctx, l, req.Kind, req.Job, req.Selection, req.FromFailure, rc)
		return p.plan, err
	}
	launch := func(ctx context.Context, req ui.LaunchRequest, rc engine.RunConfig) (string, error) {
		p, err := c.planRun(ctx, l, req.Kind, req.Job, req.Selection, req.FromFailure, rc)
		if err != nil {
			return "", err
		}
		rec, err := c.startRecording(ctx, l, p, req.Kind)
		if err != nil {
			return "", err
		}
		runs.Add(1)
		go func() {
			defer runs.Done()
			rec.run(ctx, l, p.plan, runFlags{maxConcurrency: 8})
		}()
		return rec.runID, nil
	}
	withWarehouse := func(ctx context.Context, f func(warehouse.Warehouse) error) error {
		return l.catalog.WithResource(ctx, resources.WarehouseKey.Name(), func(v any) error { return f(v.(warehouse.Warehouse)) })
	}
	return ui.Config{
		Catalog: l.catalog, Store: store, Scope: l.scope(), Plan: plan, Launch: launch, ReadOnly: readOnly, Token: token, Log: l.log,
		Environment: ui.Environment{Name: l.env.Name, Source: l.env.Source, PRID: l.env.PRID, Database: l.env.Database(),
			Resources: l.catalog.Describe().Resources},
		Clones: func(ctx context.Context) (out []clones.Verdict, err error) {
			err = withWarehouse(ctx, func(wh warehouse.Warehouse) error {
				records, err := wh.ListClones(ctx)
				out = clones.Decide(records, clones.ReapRules{Now: time.Now(), OlderThan: 1 << 62})
				return err
			})
			return out, err
		},
		ReapPreview: func(ctx context.Context, rules clones.ReapRules) (out []clones.Verdict, err error) {
			err = withWarehouse(ctx, func(wh warehouse.Warehouse) error {
				records, err := wh.ListClones(ctx)
				out = clones.Decide(records, rules)
				return err
			})
			return out, err
		},
	}
}
