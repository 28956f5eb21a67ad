package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// streamBatch bounds the events read from the store per poll.
const streamBatch = 20000

// apiStream follows a run as server-sent events, reading the store every Poll:
// "events" with the events recorded since the last message, in order, as a
// JSON array (its id is the last one's position, so a reconnecting browser
// resumes with Last-Event-ID; one message per poll keeps a 10,000-step run
// cheap to follow), "run" when the run's record changes,
// and "end" once the run has finished and every event was sent. Runs of other
// processes are followed the same way, since everything comes from the store.
func (s *Server) apiStream(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	after, err := parseAfter(r)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		fmt.Sscan(last, &after)
	}
	found, err := s.header(r.Context(), id)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	if found == nil {
		writeError(w, http.StatusNotFound, "no run %q (see GET /api/runs)", id)
		return
	}
	run := *found
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming is not supported by this connection")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(kind string, id int64, v any) bool {
		data, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if id > 0 {
			fmt.Fprintf(w, "id: %d\n", id)
		}
		_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", kind, data)
		return err == nil
	}
	if !send("run", 0, run) {
		return
	}
	flusher.Flush()
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	final := false
	for {
		events, err := s.cfg.Store.EventsAfter(r.Context(), id, after, streamBatch)
		if err != nil {
			return
		}
		if len(events) > 0 {
			after = events[len(events)-1].Seq
			if !send("events", after, events) {
				return
			}
		}
		if len(events) == streamBatch {
			flusher.Flush()
			continue // more are waiting: send them before the run's end
		}
		now, err := s.cfg.Store.RunHeader(r.Context(), id)
		if err != nil {
			return
		}
		if now.Status != "STARTED" && !final {
			// Every event is recorded before the run's end: read them once
			// more, so the end is announced after its last events.
			final = true
			continue
		}
		if now.Status != run.Status || now.Error != run.Error || now.Duration != run.Duration {
			run = now
			if !send("run", 0, run) {
				return
			}
		}
		flusher.Flush()
		if run.Status != "STARTED" && len(events) == 0 {
			send("end", 0, map[string]string{"status": run.Status})
			flusher.Flush()
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}
