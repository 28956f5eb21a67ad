package cli_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
)

// benchRig is a queue rig for a benchmark (newQueueRig wants a *testing.T).
func benchRig(b *testing.B) *queueRig {
	b.Helper()
	return newQueueRig(b, 0)
}

// allEnded polls until n runs of the instance have ended.
func (r *queueRig) allEnded(tb testing.TB, n int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		runs, err := r.store.Runs(context.Background(), n+10)
		if err != nil {
			tb.Fatal(err)
		}
		ended := 0
		for _, run := range runs {
			if run.Status != "QUEUED" && run.Status != "STARTED" {
				ended++
			}
		}
		if ended >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d runs ended after %s", ended, n, limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Queued no-op runs (one step each) per second, with 1, 2 and 4 worker
// processes of concurrency 2: all runs are queued first, then the workers
// start; the rate is runs over the span from the first run's start on a
// worker to the last run's end, so it leaves out enqueueing (BenchmarkEnqueue)
// and worker start-up.
func BenchmarkQueuedNoopRuns(b *testing.B) {
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			r := benchRig(b)
			ids := make([]string, 0, b.N)
			for range b.N {
				ids = append(ids, r.enqueue("assets", "--queue", "--select", "s001"))
			}
			for range workers {
				r.startWorker("--concurrency", "2")
			}
			r.allEnded(b, b.N, 10*time.Minute)
			var first, last time.Time
			for _, id := range ids {
				d, err := r.store.Run(context.Background(), id)
				if err != nil {
					b.Fatal(err)
				}
				events, err := r.store.RunEvents(context.Background(), id)
				if err != nil || len(events) == 0 {
					b.Fatalf("run %s: %d events (%v)", id, len(events), err)
				}
				if first.IsZero() || events[0].Time.Before(first) {
					first = events[0].Time
				}
				if end := d.Start.Add(d.Duration); end.After(last) {
					last = end
				}
			}
			b.ReportMetric(float64(b.N)/last.Sub(first).Seconds(), "runs/s")
		})
	}
}

// One one-step run's latency from "queue it" to "recorded as ended", against
// the same run executed in process by run assets.
func BenchmarkDispatchLatency(b *testing.B) {
	b.Run("in-process", func(b *testing.B) {
		r := benchRig(b)
		r.vars["ASSETFLOW_INSTANCE"] = b.TempDir() // SQLite, as run assets without a queue
		for range b.N {
			if code, _, errOut := r.cli("assets", "--select", "s000"); code != 0 {
				b.Fatal(errOut)
			}
		}
	})
	b.Run("queue", func(b *testing.B) {
		r := benchRig(b)
		r.startWorker()
		r.enqueue("assets", "--queue", "--select", "s000")
		r.allEnded(b, 1, time.Minute)
		b.ResetTimer()
		for i := range b.N {
			r.enqueue("assets", "--queue", "--select", "s000")
			r.allEnded(b, i+2, time.Minute)
		}
	})
}

// The cost of run assets --queue alone (connect, check both layouts, record,
// insert), with no worker: it bounds the rates above, which enqueue serially.
func BenchmarkEnqueue(b *testing.B) {
	r := benchRig(b)
	for range b.N {
		r.enqueue("assets", "--queue", "--select", "s000")
	}
}

// A run of 200 steps (base, 198 in the middle, last; stepsDefinitions)
// spread over 1, 2 and 4 worker processes of concurrency 2, against the same
// run in one process (run assets): steps per second, from the first step's
// start to the last step's end. "noop" steps store nothing; "duckdb" steps
// each write a table to the embedded warehouse.
func BenchmarkDistributedSteps(b *testing.B) {
	for _, work := range []string{"noop", "duckdb"} {
		b.Run(work, func(b *testing.B) { benchDistributedSteps(b, work == "noop") })
	}
}

// benchDistributedSteps runs the 200-step run in process, then on 1, 2 and 4
// workers; with noop its steps store nothing (the queue's own cost), else each
// writes its table to the embedded warehouse.
func benchDistributedSteps(b *testing.B, noop bool) {
	rig := func() *queueRig {
		r := newStepsRig(b, 0, "postgres")
		if noop {
			r.vars["ASSETFLOW_TEST_NOOP"] = "1"
		}
		return r
	}
	b.Run("in-process", func(b *testing.B) {
		r := rig()
		for range b.N {
			if code, _, errOut := r.cli("assets"); code != 0 {
				b.Fatal(errOut)
			}
		}
		steps, span, _ := r.stepTimes(b, "")
		b.ReportMetric(float64(steps)/span.Seconds(), "steps/s")
	})
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			r := rig()
			for range workers {
				r.startWorker("--concurrency", "2")
			}
			for i := range b.N {
				r.enqueue("assets", "--queue", "--distribute", "steps")
				r.allEnded(b, i+1, 10*time.Minute)
			}
			steps, span, _ := r.stepTimes(b, "")
			b.ReportMetric(float64(steps)/span.Seconds(), "steps/s")
		})
	}
}

// The dispatch latency of one step: from base recorded as succeeded to m000,
// which waits only for it, recorded as started; in one process (the engine
// starts it at once) and through the queue (the store moves the run on, River
// carries the job to a waiting worker, which plans and claims it).
func BenchmarkStepDispatchLatency(b *testing.B) {
	b.Run("in-process", func(b *testing.B) {
		r := newStepsRig(b, 0, "postgres")
		for range b.N {
			if code, _, errOut := r.cli("assets", "--select", "base,m000"); code != 0 {
				b.Fatal(errOut)
			}
		}
		_, _, gaps := r.stepTimes(b, "m000")
		b.ReportMetric(float64(gaps[len(gaps)/2].Microseconds())/1000, "dispatch-ms-p50")
	})
	b.Run("queue", func(b *testing.B) {
		r := newStepsRig(b, 0, "postgres")
		r.startWorker("--concurrency", "2")
		for i := range b.N {
			r.enqueue("assets", "--queue", "--distribute", "steps", "--select", "base,m000")
			r.allEnded(b, i+1, time.Minute)
		}
		_, _, gaps := r.stepTimes(b, "m000")
		b.ReportMetric(float64(gaps[len(gaps)/2].Microseconds())/1000, "dispatch-ms-p50")
	})
}

// stepTimes reads the rig's runs, which must all have succeeded: how many
// steps succeeded, the time from each run's first step start to its last step
// end (summed), and, for the step named gapOf, the sorted time from base's
// success to its start in each run.
func (r *queueRig) stepTimes(b *testing.B, gapOf string) (steps int, span time.Duration, gaps []time.Duration) {
	runs, err := r.store.Runs(context.Background(), 1000)
	if err != nil {
		b.Fatal(err)
	}
	for _, run := range runs {
		if run.Status != "SUCCESS" {
			b.Fatalf("run %s: %s %s", run.ID, run.Status, run.Error)
		}
		events, err := r.store.RunEvents(context.Background(), run.ID)
		if err != nil {
			b.Fatal(err)
		}
		var first, last, baseDone, gapStart time.Time
		for _, e := range events {
			switch {
			case e.Type == engine.EventStepStart && (first.IsZero() || e.Time.Before(first)):
				first = e.Time
			case e.Type == engine.EventStepSuccess:
				steps++
				if e.Time.After(last) {
					last = e.Time
				}
			}
			if e.Type == engine.EventStepSuccess && e.Node == "base" {
				baseDone = e.Time
			}
			if e.Type == engine.EventStepStart && e.Node == gapOf {
				gapStart = e.Time
			}
		}
		span += last.Sub(first)
		if gapOf != "" {
			gaps = append(gaps, gapStart.Sub(baseDone))
		}
	}
	slices.Sort(gaps)
	return steps, span, gaps
}
