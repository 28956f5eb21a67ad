package hackernews

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
)

// Snapshot is a recorded set of items, served as the API serves them.
type Snapshot struct {
	Path  string
	items map[int64][]byte
	max   int64
}

// LoadSnapshot reads a JSON-lines file with one API item per line.
func LoadSnapshot(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	s := &Snapshot{Path: path, items: map[int64][]byte{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var head struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil || head.ID <= 0 {
			return nil, fmt.Errorf("snapshot %s line %d: expected an item with a positive id", path, line)
		}
		s.items[head.ID] = append([]byte(nil), raw...)
		s.max = max(s.max, head.ID)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	return s, nil
}

// MaxItem returns the largest id in the snapshot.
func (s *Snapshot) MaxItem() int64 { return s.max }

// ServeHTTP answers /maxitem.json and /item/<id>.json under any prefix, with null
// for an id the snapshot lacks, like the API.
func (s *Snapshot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	path := r.URL.Path
	switch {
	case strings.HasSuffix(path, "/maxitem.json"):
		fmt.Fprint(w, s.max)
	case strings.Contains(path, "/item/") && strings.HasSuffix(path, ".json"):
		idText := path[strings.LastIndex(path, "/item/")+len("/item/") : len(path)-len(".json")]
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			http.Error(w, `{"error":"Invalid path"}`, http.StatusBadRequest)
			return
		}
		if raw, ok := s.items[id]; ok {
			w.Write(raw)
		} else {
			w.Write([]byte("null"))
		}
	default:
		http.NotFound(w, r)
	}
}

// Transport serves the snapshot in process, without a socket: an http.Client
// with it reads the snapshot exactly as it would read the API.
func (s *Snapshot) Transport() http.RoundTripper { return replay{s} }

type replay struct{ s *Snapshot }

func (t replay) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.s.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}
