package engine

import (
	"context"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how often a failed node is tried again and how long to wait.
// The zero value tries once.
type RetryPolicy struct {
	MaxAttempts int           // total attempts; 0 or 1 means no retry
	Delay       time.Duration // wait before the second attempt; doubles each time
	MaxDelay    time.Duration // cap on the wait; zero means no cap
	Jitter      float64       // fraction of the wait added or removed at random, 0..1
}

func (p RetryPolicy) attempts() int {
	if p.MaxAttempts < 1 {
		return 1
	}
	return p.MaxAttempts
}

// backoff returns the wait after the given failed attempt (1-based).
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.Delay
	for i := 1; i < attempt && d > 0; i++ {
		d *= 2
		if p.MaxDelay > 0 && d >= p.MaxDelay {
			break
		}
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	if p.Jitter > 0 && d > 0 {
		j := p.Jitter
		if j > 1 {
			j = 1
		}
		d = time.Duration(float64(d) * (1 + j*(2*rand.Float64()-1)))
	}
	return d
}

// sleep waits d or until ctx is done, reporting whether the full wait elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
