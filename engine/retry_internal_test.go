package engine

import (
	"math"
	"testing"
	"time"
)

// Doubling a large delay must saturate, never wrap to a negative wait (which
// retried at once) or to a wait beyond the cap.
func TestBackoffNeverOverflows(t *testing.T) {
	policies := []RetryPolicy{
		{MaxAttempts: 200, Delay: time.Duration(math.MaxInt64/2 + 1)},
		{MaxAttempts: 200, Delay: time.Millisecond},
		{MaxAttempts: 200, Delay: time.Duration(math.MaxInt64)},
		{MaxAttempts: 200, Delay: time.Duration(math.MaxInt64), Jitter: 1},
		{MaxAttempts: 200, Delay: time.Hour, MaxDelay: time.Duration(math.MaxInt64)},
		{MaxAttempts: 200, Delay: time.Second, MaxDelay: time.Minute, Jitter: 0.5},
	}
	for _, p := range policies {
		limit := maxBackoff
		if p.MaxDelay > 0 && p.MaxDelay < limit {
			limit = p.MaxDelay
		}
		prev := time.Duration(0)
		for a := 1; a <= p.MaxAttempts; a++ {
			d := p.backoff(a)
			if d < 0 || d > time.Duration(float64(limit)*(1+p.Jitter)) {
				t.Fatalf("%+v attempt %d: wait %v, want 0..%v", p, a, d, limit)
			}
			if p.Jitter == 0 && d < prev {
				t.Fatalf("%+v attempt %d: wait %v shrank from %v", p, a, d, prev)
			}
			prev = d
		}
	}
}
