package hackernews

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/assetflow/assetflow/internal/redact"
)

// DefaultURL is the public API.
const DefaultURL = "https://hacker-news.firebaseio.com/v0"

// Config tunes the client. Zero values take the defaults shown.
type Config struct {
	BaseURL     string        // DefaultURL
	Concurrency int           // requests in flight at once: 32
	Timeout     time.Duration // per request: 10s
	MaxAttempts int           // per item: 5
	Backoff     time.Duration // first retry wait, doubling, with jitter: 250ms
	MaxBackoff  time.Duration // cap on our own backoff: 30s
	// MaxRetryAfter caps a server's Retry-After: 2m. The wait it asks for is
	// honoured in full up to this cap, never shortened by MaxBackoff.
	MaxRetryAfter time.Duration
	MaxBody       int64 // largest accepted answer: 1 MiB
	Transport     http.RoundTripper
	Source        string // describes where items come from, for the first log line
}

// Client fetches items over one shared HTTP client with keep-alive.
type Client struct {
	cfg  Config
	http *http.Client
}

// New returns a client.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 32
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 250 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 2 * time.Minute
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	tr := cfg.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = cfg.Concurrency
		t.MaxConnsPerHost = cfg.Concurrency
		tr = t
	}
	return &Client{cfg: cfg, http: &http.Client{Transport: tr}}
}

// Close releases idle connections.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// MaxItem returns the largest item id.
func (c *Client) MaxItem(ctx context.Context) (int64, error) {
	body, err := c.get(ctx, "/maxitem.json", "maxitem")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(body)), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("maxitem: expected a number, got %.40q", body)
	}
	if n > MaxID {
		return 0, fmt.Errorf("maxitem = %d: larger than %d, the largest id the API's numbers hold exactly", n, int64(MaxID))
	}
	return n, nil
}

// Fetched is the outcome of fetching a range of items.
type Fetched struct {
	Items   []*Item // in the order asked, without missing and deleted ones
	Missing int     // ids the API answered null for
	Deleted int     // items marked deleted
}

// Items fetches the items concurrently, at most Concurrency at once. The first
// item that fails after its last attempt cancels the rest and is the error.
// progress, if not nil, is called after each item with the count done so far.
func (c *Client) Items(ctx context.Context, ids []int64, progress func(done, total int)) (Fetched, error) {
	got := make([]*Item, len(ids))
	var done atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.cfg.Concurrency)
	for i, id := range ids {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			body, err := c.get(gctx, fmt.Sprintf("/item/%d.json", id), fmt.Sprintf("item %d", id))
			if err != nil {
				return err
			}
			it, err := DecodeItem(id, body)
			if err != nil {
				return err
			}
			got[i] = it
			if progress != nil {
				progress(int(done.Add(1)), len(ids))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Fetched{}, err
	}
	if err := ctx.Err(); err != nil {
		return Fetched{}, err
	}
	var out Fetched
	for _, it := range got {
		switch {
		case it == nil:
			out.Missing++
		case it.Deleted:
			out.Deleted++
		default:
			out.Items = append(out.Items, it)
		}
	}
	return out, nil
}

// retryable is a failure worth another attempt, with the wait the server asked.
type retryable struct {
	err        error
	retryAfter time.Duration
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// get fetches one path with retries on timeouts, connection errors, 429 and 5xx.
func (c *Client) get(ctx context.Context, path, what string) ([]byte, error) {
	var last error
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		body, err := c.getOnce(ctx, path)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var r *retryable
		if !errors.As(err, &r) {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		last = err
		if attempt == c.cfg.MaxAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(c.retryWait(attempt, r)):
		}
	}
	return nil, fmt.Errorf("%s: giving up after %d attempts: %w", what, c.cfg.MaxAttempts, last)
}

// retryWait is how long to wait before the attempt after attempt: the wait
// the server asked for (Retry-After) in full, up to MaxRetryAfter, else our
// doubling backoff with jitter, up to MaxBackoff.
func (c *Client) retryWait(attempt int, r *retryable) time.Duration {
	if r.retryAfter > 0 {
		return min(r.retryAfter, c.cfg.MaxRetryAfter)
	}
	wait := doubled(c.cfg.Backoff, attempt-1, c.cfg.MaxBackoff)
	return min(time.Duration(float64(wait)*(0.5+rand.Float64())), c.cfg.MaxBackoff)
}

func (c *Client) getOnce(ctx context.Context, path string) ([]byte, error) {
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, c.cfg.BaseURL+path, nil)
	if err != nil {
		return nil, errors.New(redact.Text(err.Error()))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &retryable{err: redactedError{transportError(err, c.cfg.Timeout)}}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &retryable{err: fmt.Errorf("HTTP %d", resp.StatusCode), retryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &retryable{err: fmt.Errorf("reading answer: %w", transportError(err, c.cfg.Timeout))}
	}
	if int64(len(body)) > c.cfg.MaxBody {
		return nil, fmt.Errorf("answer larger than %d bytes", c.cfg.MaxBody)
	}
	return body, nil
}

func transportError(err error, timeout time.Duration) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("no answer within %s", timeout)
	}
	return err
}

// doubled returns d doubled n times, saturating at limit instead of overflowing.
func doubled(d time.Duration, n int, limit time.Duration) time.Duration {
	for ; n > 0 && d < limit; n-- {
		if d > limit/2 {
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}

// maxRetryAfter is the longest wait a Retry-After header can ask for; longer
// asks saturate here (and are then capped by Config.MaxRetryAfter) instead of
// wrapping time.Duration.
const maxRetryAfter = time.Duration(math.MaxInt64)

// retryAfter parses a Retry-After header: seconds or an HTTP date. A number of
// seconds too large for a time.Duration saturates rather than wraps.
func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseInt(strings.TrimSpace(h), 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case s < 0:
			return 0
		case s > int64(maxRetryAfter/time.Second):
			return maxRetryAfter
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// Source says where items come from: the API's address or the snapshot replayed.
func (c *Client) Source() string {
	if c.cfg.Source != "" {
		return c.cfg.Source
	}
	return "Hacker News API at " + redact.URL(c.cfg.BaseURL)
}

// redactedError shows an error with the credentials of any URL in it hidden,
// and still unwraps to it.
type redactedError struct{ err error }

func (e redactedError) Error() string { return redact.Text(e.err.Error()) }
func (e redactedError) Unwrap() error { return e.err }
