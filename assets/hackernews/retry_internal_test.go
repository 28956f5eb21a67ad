package hackernews

import (
	"math"
	"testing"
	"time"
)

// A Retry-After too large for a time.Duration saturates; it never wraps into a
// negative wait (which retried at once) or a short one, and it is never ignored.
func TestRetryAfterSaturates(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"-5", 0},
		{"9223372036", 9223372036 * time.Second},
		{"9223372037", maxRetryAfter},  // seconds whose nanoseconds overflow int64
		{"99999999999", maxRetryAfter}, // wrapped to a negative wait before
		{"99999999999999999999", maxRetryAfter},
		{"soon", 0},
	} {
		if got := retryAfter(tc.header); got != tc.want {
			t.Errorf("Retry-After %q: %v, want %v", tc.header, got, tc.want)
		}
	}
}

// The client's own doubling backoff saturates at its cap for any attempt count.
func TestDoubledSaturates(t *testing.T) {
	for _, d := range []time.Duration{time.Millisecond, 250 * time.Millisecond, time.Duration(math.MaxInt64 / 3)} {
		prev := time.Duration(0)
		for n := 0; n < 200; n++ {
			got := doubled(d, n, 30*time.Second)
			if got < prev || got > 30*time.Second || got <= 0 {
				t.Fatalf("doubled(%v, %d): %v after %v", d, n, got, prev)
			}
			prev = got
		}
	}
}

// FuzzRetryAfter: any header gives a wait from zero to the saturation value,
// never a negative (wrapped) one.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "7", "-1", "9223372036", "9223372037", "99999999999999999999", " 12 ",
		"Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "1e9", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if d := retryAfter(h); d < 0 || d > maxRetryAfter {
			t.Errorf("Retry-After %q: wait %v", h, d)
		}
	})
}

// The wait a server asks for with Retry-After is honoured in full, not cut
// to the client's own (much shorter) backoff cap, and bounded by
// MaxRetryAfter; without it the client backs off by itself. Checked on the
// computed wait, not on a clock, so a busy machine cannot make it fail.
func TestRetryAfterIsHonoured(t *testing.T) {
	c := New(Config{BaseURL: "http://127.0.0.1:1", Backoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, MaxRetryAfter: time.Hour})
	defer c.Close()
	asked := &retryable{retryAfter: time.Second}
	if got := c.retryWait(1, asked); got != time.Second {
		t.Errorf("Retry-After 1s: waits %v, want 1s", got)
	}
	if got := c.retryWait(1, &retryable{retryAfter: 2 * time.Hour}); got != time.Hour {
		t.Errorf("Retry-After 2h: waits %v, want the 1h cap", got)
	}
	for attempt := 1; attempt < 10; attempt++ {
		if got := c.retryWait(attempt, &retryable{}); got <= 0 || got > 10*time.Millisecond {
			t.Errorf("attempt %d without Retry-After: waits %v, want (0, 10ms]", attempt, got)
		}
	}
}
