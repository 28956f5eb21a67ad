package main

import (
	"os/exec"
	"testing"
	"time"
)

// BenchmarkStartup times whole `run graph` and `run list` processes on the real
// definitions: start-up, validation and output, no warehouse.
func BenchmarkStartup(b *testing.B) {
	for _, args := range [][]string{{"graph"}, {"list"}} {
		b.Run(args[0], func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(binary, args...)
				cmd.Env = []string{"ASSETFLOW_HN_SNAPSHOT=x"}
				start := time.Now()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/run")
		})
	}
}
