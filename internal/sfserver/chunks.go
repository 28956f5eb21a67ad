package sfserver

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// A result whose rows do not fit one answer is kept as chunks that the driver
// downloads, as a real account's result is kept in cloud storage: each chunk
// URL is served here, and a download must carry the result's key in the
// SSE-C headers the answer's chunkHeaders name (chunk_downloader.go).
type result struct {
	id      string
	key     string
	session int64
	chunks  [][]byte

	mu       sync.Mutex
	attempts []int
	served   []bool // downloaded whole at least once
	left     int    // chunks not yet served
}

// resultStore keeps the chunks of recent results.
type resultStore struct {
	mu    sync.Mutex
	byID  map[string]*result
	order []string
}

// keptResults bounds how many chunked results stay downloadable.
const keptResults = 8

func (rs *resultStore) init() { rs.byID = map[string]*result{} }

func (rs *resultStore) add(r *result) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.byID[r.id] = r
	rs.order = append(rs.order, r.id)
	for len(rs.order) > keptResults {
		delete(rs.byID, rs.order[0])
		rs.order = rs.order[1:]
	}
}

func (rs *resultStore) get(id string) *result {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.byID[id]
}

func (rs *resultStore) remove(id string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.byID, id)
	for i, rid := range rs.order {
		if rid == id {
			rs.order = append(rs.order[:i], rs.order[i+1:]...)
			break
		}
	}
}

func (rs *resultStore) dropSession(id int64) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	kept := rs.order[:0]
	for _, rid := range rs.order {
		if rs.byID[rid].session == id {
			delete(rs.byID, rid)
			continue
		}
		kept = append(kept, rid)
	}
	rs.order = kept
}

func (rs *resultStore) dropAll() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.byID, rs.order = map[string]*result{}, nil
}

// SSE-C headers, as a real account's chunkHeaders name them for S3.
const (
	headerSSEAlgorithm = "x-amz-server-side-encryption-customer-algorithm"
	headerSSEKey       = "x-amz-server-side-encryption-customer-key"
)

// chunked stores chunks 1.. of a result and returns their descriptions.
func (s *Server) chunked(sess *session, chunks [][]byte, rows []int) (key string, infos []chunkInfo) {
	r := &result{id: randomToken()[:20], key: randomToken(), session: sess.id, chunks: chunks, attempts: make([]int, len(chunks)),
		served: make([]bool, len(chunks)), left: len(chunks)}
	s.results.add(r)
	for i, c := range chunks {
		infos = append(infos, chunkInfo{URL: fmt.Sprintf("http://%s/results/%s/%d", s.addr, r.id, i), RowCount: rows[i],
			UncompressedSize: int64(len(c)), CompressedSize: int64(len(c))})
	}
	return r.key, infos
}

// downloadChunk serves one chunk, or drops the connection when a fault says so.
func (s *Server) downloadChunk(w http.ResponseWriter, r *http.Request) {
	id, n, ok := strings.Cut(r.PathValue("object"), "/")
	res := s.results.get(id)
	idx, err := strconv.Atoi(n)
	if !ok || res == nil || err != nil || idx < 0 || idx >= len(res.chunks) {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	if r.Header.Get(headerSSEKey) != res.key || r.Header.Get(headerSSEAlgorithm) != "AES256" {
		http.Error(w, "AccessDenied: wrong or missing customer key", http.StatusForbidden)
		return
	}
	res.mu.Lock()
	res.attempts[idx]++
	first := res.attempts[idx] == 1
	res.mu.Unlock()
	if (first && s.faultOn(FaultDropChunkOnce)) || s.faultOn(FaultDropChunkAlways) {
		if first && s.faultOn(FaultDropChunkOnce) {
			s.land(FaultDropChunkOnce)
		} else {
			s.land(FaultDropChunkAlways)
		}
		dropConnection(w)
		return
	}
	s.stats.chunkDownloads.Add(1)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(res.chunks[idx])))
	if _, err := w.Write(res.chunks[idx]); err != nil {
		return
	}
	// The driver does not fetch a chunk again once it has it whole, so a
	// result whose every chunk went out is freed.
	res.mu.Lock()
	if !res.served[idx] {
		res.served[idx] = true
		res.left--
	}
	done := res.left == 0
	res.mu.Unlock()
	if done {
		s.results.remove(res.id)
	}
}

// dropConnection closes the client's connection with no answer.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
