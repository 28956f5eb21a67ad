package sfserver_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assetflow/assetflow/internal/sfserver"
)

// endless is a login body that never closes its JSON string, up to limit bytes,
// counting what the server pulled.
type endless struct {
	prefix string
	read   atomic.Int64
	limit  int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := e.read.Load()
	if n >= e.limit {
		return 0, io.EOF
	}
	for i := range p {
		if int(n)+i < len(e.prefix) {
			p[i] = e.prefix[int(n)+i]
		} else {
			p[i] = 'a'
		}
	}
	m := int(min(int64(len(p)), e.limit-n))
	e.read.Add(int64(m))
	return m, nil
}

// TestLoginBodyIsCapped: an unauthenticated login body is read only up to a
// cap, then refused; the double does not swallow a huge body (it once grew to
// 1.2 GB on a 300 MB one).
func TestLoginBodyIsCapped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := sfserver.Start(ctx, sfserver.Config{Dir: t.TempDir(), Users: map[string]string{"me": "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	body := &endless{prefix: `{"data":{"LOGIN_NAME":"`, limit: 256 << 20}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.Addr()+"/session/v1/login-request", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "login request larger than") {
			t.Errorf("answer %s", b)
		}
	}
	// Either the answer came, or the server closed the connection mid-body:
	// in both cases it stopped reading far before the end.
	if got := body.read.Load(); got >= body.limit {
		t.Fatalf("the server read the whole %d-byte body", got)
	}
}

// TestUnauthenticatedBodiesAreCapped: the token-request (renewal) and query
// bodies are read before the token they carry is known to be good (or with
// none at all), so they are capped like a login's.
func TestUnauthenticatedBodiesAreCapped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := sfserver.Start(ctx, sfserver.Config{Dir: t.TempDir(), Users: map[string]string{"me": "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, path := range []string{"/session/token-request", "/queries/v1/query-request"} {
		body := &endless{prefix: `{"oldSessionToken":"`, limit: 256 << 20}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.Addr()+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", `Snowflake Token="not-a-token"`)
		req.ContentLength = -1
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if got := body.read.Load(); got >= body.limit {
			t.Errorf("%s: the server read the whole %d-byte body of an unknown token", path, got)
		}
	}
}
