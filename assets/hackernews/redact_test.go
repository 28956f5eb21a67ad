package hackernews_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/assets/hackernews"
)

// TestCredentialsInURLNeverShown: a user and password in the API URL are used
// but never appear in errors or the source line.
func TestCredentialsInURLNeverShown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every request fails with the URL in the error
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := hackernews.New(hackernews.Config{BaseURL: "http://bob:hunter2@" + addr + "/v0", MaxAttempts: 1})
	_, err = c.MaxItem(ctx)
	if err == nil {
		t.Fatal("no error from a closed port")
	}
	for _, shown := range []string{err.Error(), c.Source()} {
		if strings.Contains(shown, "hunter2") || strings.Contains(shown, "bob") {
			t.Errorf("shows the credentials: %s", shown)
		}
	}
	if !strings.Contains(c.Source(), "http://***@"+addr) {
		t.Errorf("source %q", c.Source())
	}
}
