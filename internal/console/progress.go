package console

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/engine"
)

// Progress reports a step's progress: on a terminal a line redrawn in place at
// most every 100 ms; otherwise a PROGRESS log event at most every second. The
// last unit is always reported.
func Progress(w io.Writer, terminal bool, log zerolog.Logger) engine.Progress {
	every := time.Second
	if terminal {
		every = 100 * time.Millisecond
	}
	return func(ctx *engine.Context, what string, total int) func(done int) {
		var mu sync.Mutex
		start := time.Now()
		var last time.Time
		best := 0
		return func(done int) {
			mu.Lock()
			defer mu.Unlock()
			now := time.Now()
			if done <= best || (done < total && now.Sub(last) < every) {
				return
			}
			best, last = done, now
			rate := float64(done) / max(now.Sub(start).Seconds(), 1e-9)
			if terminal {
				fmt.Fprintf(w, "\r%s: %d/%d (%.0f/s)", what, done, total, rate)
				if done == total {
					fmt.Fprintln(w)
				}
				return
			}
			log.Info().Str("event", "PROGRESS").Str("run_id", ctx.RunID).Str("node", ctx.Node).
				Int("done", done).Int("total", total).Int("per_s", int(rate)).Msg(what)
		}
	}
}
