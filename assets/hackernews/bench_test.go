package hackernews_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/assetflow/assetflow/assets/hackernews"
)

// BenchmarkFetch fetches 2,000 items from a local server that answers each
// request after 20 ms, and reports items/s and the ratio to the ideal
// ceil(2000/limit) x 20 ms. limit=1 is the seed's sequential fetch.
func BenchmarkFetch(b *testing.B) {
	const n, latency = 2000, 20 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency)
		var id int64
		fmt.Sscanf(r.URL.Path, "/v0/item/%d.json", &id)
		fmt.Fprintf(w, `{"id":%d,"type":"story","by":"pg","time":1160418111,"title":"t"}`, id)
	}))
	defer srv.Close()
	for _, limit := range []int{1, 8, 32, 64, 128} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			c := hackernews.New(hackernews.Config{BaseURL: srv.URL + "/v0", Concurrency: limit})
			defer c.Close()
			var total time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				got, err := c.Items(context.Background(), ids(n), nil)
				if err != nil || len(got.Items) != n {
					b.Fatalf("%d items, %v", len(got.Items), err)
				}
				total += time.Since(start)
			}
			per := total / time.Duration(b.N)
			ideal := time.Duration(math.Ceil(float64(n)/float64(limit))) * latency
			b.ReportMetric(float64(n)/per.Seconds(), "items/s")
			b.ReportMetric(float64(per)/float64(ideal), "x-ideal")
		})
	}
}
