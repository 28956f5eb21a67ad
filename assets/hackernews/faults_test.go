package hackernews_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assetflow/assetflow/assets/hackernews"
)

// faultyAPI answers item 2 badly the first `faults` times, then well.
func faultyAPI(t *testing.T, faults int32, fault func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	var left atomic.Int32
	left.Store(faults)
	var bad atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id int
		fmt.Sscanf(r.URL.Path, "/v0/item/%d.json", &id)
		if id == 2 && left.Add(-1) >= 0 {
			bad.Add(1)
			fault(w)
			return
		}
		fmt.Fprintf(w, `{"id":%d,"type":"story","by":"pg","time":1}`, id)
	}))
	t.Cleanup(srv.Close)
	return srv, &bad
}

// hijack takes the raw connection to misbehave on the wire.
func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	c, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	return c, rw
}

func TestNetworkFaults(t *testing.T) {
	faults := map[string]func(w http.ResponseWriter){
		"reset mid-body": func(w http.ResponseWriter) {
			c, rw := hijack(w)
			rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 200\r\nContent-Type: application/json\r\n\r\n{\"id\":2,\"ty")
			rw.Flush()
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0) // RST, not FIN
			}
			c.Close()
		},
		"truncated body": func(w http.ResponseWriter) {
			c, rw := hijack(w)
			rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 80\r\n\r\n{\"id\":2,")
			rw.Flush()
			c.Close()
		},
		"slow drip": func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusOK)
			for _, b := range []byte(`{"id":2,"type":"story"}`) {
				w.Write([]byte{b})
				w.(http.Flusher).Flush()
				time.Sleep(40 * time.Millisecond)
			}
		},
		"500 burst": func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
		"429 with Retry-After": func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		},
	}
	for name, fault := range faults {
		t.Run(name+" recovers", func(t *testing.T) {
			srv, bad := faultyAPI(t, 2, fault)
			c := hackernews.New(hackernews.Config{BaseURL: srv.URL + "/v0", Timeout: 300 * time.Millisecond, Backoff: time.Millisecond, MaxAttempts: 4})
			defer c.Close()
			got, err := c.Items(context.Background(), ids(4), nil)
			if err != nil || len(got.Items) != 4 || bad.Load() != 2 {
				t.Fatalf("items %d, faults served %d, err %v", len(got.Items), bad.Load(), err)
			}
		})
		t.Run(name+" persists", func(t *testing.T) {
			srv, _ := faultyAPI(t, 1000, fault)
			c := hackernews.New(hackernews.Config{BaseURL: srv.URL + "/v0", Timeout: 300 * time.Millisecond, Backoff: time.Millisecond, MaxAttempts: 3})
			defer c.Close()
			_, err := c.Items(context.Background(), ids(4), nil)
			if err == nil || !strings.Contains(err.Error(), "item 2: giving up after 3 attempts") {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := hackernews.New(hackernews.Config{BaseURL: "http://" + addr + "/v0", Backoff: time.Millisecond, MaxAttempts: 3})
	defer c.Close()
	_, err = c.MaxItem(context.Background())
	if err == nil || !strings.Contains(err.Error(), "maxitem: giving up after 3 attempts") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("got %v", err)
	}
}
