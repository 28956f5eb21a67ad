// Package bench is assetflow's benchmark suite: each scenario measured beside
// its baseline in the same run, summarised over repeated runs, written as
// BENCHMARKS.md with PNG charts.
package bench

import (
	"fmt"
	"sort"
	"time"
)

// Sample is repeated measurements of one quantity.
type Sample []float64

// Median, Min and Max summarise a sample.
func (s Sample) Median() float64 {
	c := append(Sample(nil), s...)
	sort.Float64s(c)
	if len(c) == 0 {
		return 0
	}
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// Min is the smallest measurement.
func (s Sample) Min() float64 {
	m := s[0]
	for _, v := range s {
		m = min(m, v)
	}
	return m
}

// Max is the largest measurement.
func (s Sample) Max() float64 {
	m := s[0]
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

// Row is one line of a scenario's table: a case, assetflow's figure, its
// baseline's figure and their ratio.
type Row struct {
	Case      string
	Unit      string
	Ours      Sample
	Baseline  Sample
	Base      string // what the baseline is
	LowerWins bool   // times: lower is better; rates: higher
	Extra     string // e.g. allocations or peak memory
}

// Ratio is ours / baseline of the medians.
func (r Row) Ratio() float64 {
	if b := r.Baseline.Median(); b != 0 {
		return r.Ours.Median() / b
	}
	return 0
}

// Scenario is one table of the report.
type Scenario struct {
	Title string
	Note  string
	Rows  []Row
	Chart string // file name of its chart, if any
}

// repeat measures f n times.
func repeat(n int, f func() (float64, error)) (Sample, error) {
	s := make(Sample, 0, n)
	for i := 0; i < n; i++ {
		v, err := f()
		if err != nil {
			return nil, err
		}
		s = append(s, v)
	}
	return s, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fmtNum(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
