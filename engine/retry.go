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
	MaxDelay    time.Duration // cap on the wait; zero means the built-in cap of a day
	Jitter      float64       // fraction of the wait added or removed at random, 0..1
}

func (p RetryPolicy) attempts() int {
	if p.MaxAttempts < 1 {
		return 1
	}
	return p.MaxAttempts
}

// maxBackoff bounds any computed wait, so doubling never overflows
// time.Duration (which would wrap to a negative wait and retry at once).
const maxBackoff = 24 * time.Hour

// backoff returns the wait after the given failed attempt (1-based): Delay
// doubled per attempt, capped by MaxDelay (and by a day), with jitter. It never
// overflows, however many attempts or however large the delay.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	limit := maxBackoff
	if p.MaxDelay > 0 && p.MaxDelay < limit {
		limit = p.MaxDelay
	}
	d := min(p.Delay, limit)
	for i := 1; i < attempt && d > 0 && d < limit; i++ {
		if d > limit/2 {
			d = limit
			break
		}
		d *= 2
	}
	if p.Jitter > 0 && d > 0 {
		j := min(p.Jitter, 1)
		d = time.Duration(float64(d) * (1 + j*(2*rand.Float64()-1)))
	}
	return max(d, 0)
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
