package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
)

func (c *cli) cancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel RUN_ID",
		Short: "Cancel a queued or running queued run, on whichever worker runs it",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return engine.Usagef("cancel: expected one run id (see %s runs)", c.app.Name)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, q, err := c.openQueue(ctx)
			if err != nil {
				return err
			}
			defer store.Close()
			defer q.Close()
			id := args[0]
			jobID, status, err := store.Job(ctx, id)
			if err != nil {
				return engine.Usagef("%v", err)
			}
			switch {
			case jobID == 0:
				return engine.Usagef("run %s was not queued: it runs in the process that started it; stop that process (Ctrl-C)", id)
			case status != "QUEUED" && status != "STARTED":
				return engine.Usagef("run %s has already ended (%s)", id, status)
			}
			wasQueued, err := store.CancelQueued(ctx, id, time.Now())
			if err != nil {
				return err
			}
			if !wasQueued {
				// Seen by its worker's heartbeat, even where River's own
				// notice does not reach it.
				if err := store.RequestCancel(ctx, id, time.Now()); err != nil {
					return err
				}
			}
			if err := q.Cancel(ctx, jobID); err != nil {
				return err
			}
			if wasQueued {
				c.printf("run %s cancelled before it started\n", id)
			} else {
				c.printf("run %s: cancellation sent to its worker; it ends as CANCELED (see %s show %s)\n", id, c.app.Name, id)
			}
			return nil
		},
	}
}
