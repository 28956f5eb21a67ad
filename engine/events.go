package engine

import (
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// EventType names what happened in a run.
type EventType string

// The events a run emits.
const (
	EventRunStart        EventType = "RUN_START"
	EventRunSuccess      EventType = "RUN_SUCCESS"
	EventRunFailure      EventType = "RUN_FAILURE"
	EventRunCanceled     EventType = "RUN_CANCELED"
	EventStepStart       EventType = "STEP_START"
	EventStepSuccess     EventType = "STEP_SUCCESS"
	EventStepFailure     EventType = "STEP_FAILURE"
	EventStepRetry       EventType = "STEP_RETRY"
	EventStepSkipped     EventType = "STEP_SKIPPED"
	EventStepCanceled    EventType = "STEP_CANCELED"
	EventMaterialization EventType = "ASSET_MATERIALIZATION"
)

// Event is one structured record of a run. Node is empty for run events.
type Event struct {
	Type            EventType
	RunID           string
	Node            string
	Time            time.Time
	Attempt         int
	Duration        time.Duration
	Error           string
	Stack           string
	Message         string
	Materialization *Materialization
	Check           *CheckEvaluation // EventCheckEvaluation only
}

// EventSink receives a run's events. Emit is called from several goroutines at
// once and must not block for long.
type EventSink interface {
	Emit(Event)
}

// LogSink writes events through zerolog: JSON lines, or readable lines when the
// logger writes to a zerolog.ConsoleWriter. The event's time is written as the
// logger's timestamp field, so the logger should not add its own.
type LogSink struct {
	Logger zerolog.Logger
}

// Emit logs the event at info level, or error level for failures.
func (s LogSink) Emit(e Event) {
	var ev *zerolog.Event
	switch e.Type {
	case EventStepFailure, EventRunFailure:
		ev = s.Logger.Error()
	case EventStepRetry, EventStepSkipped, EventStepCanceled, EventRunCanceled:
		ev = s.Logger.Warn()
	case EventCheckEvaluation:
		ev = s.Logger.Info()
		if e.Check != nil && !e.Check.Passed {
			ev = s.Logger.Warn()
		}
	default:
		ev = s.Logger.Info()
	}
	if ev == nil {
		return
	}
	ev = ev.Time(zerolog.TimestampFieldName, e.Time).Str("event", string(e.Type)).Str("run_id", e.RunID)
	if e.Node != "" {
		ev = ev.Str("node", e.Node)
	}
	if e.Attempt > 1 {
		ev = ev.Int("attempt", e.Attempt)
	}
	if e.Duration > 0 {
		ev = ev.Float64("duration_ms", float64(e.Duration.Microseconds())/1000)
	}
	if e.Error != "" {
		ev = ev.Str("error", e.Error)
	}
	if e.Stack != "" {
		ev = ev.Str("stack", e.Stack)
	}
	if m := e.Materialization; m != nil {
		ev = ev.Str("table", m.Location).Int64("rows", m.Rows).Strs("columns", m.Columns)
		if len(m.Metadata) > 0 {
			ev = ev.Interface("metadata", m.Metadata)
		}
	}
	if c := e.Check; c != nil {
		ev = ev.Str("asset", c.Asset).Str("check", c.Check).Str("severity", string(c.Severity)).
			Bool("passed", c.Passed).Int64("failing_rows", c.FailingRows)
	}
	if e.Message == "" {
		ev.Msg(string(e.Type))
		return
	}
	ev.Msg(string(e.Type) + ": " + e.Message)
}

// Recorder is an EventSink that keeps every event in order, for tests and for
// callers that inspect a run afterwards.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Emit records the event.
func (r *Recorder) Emit(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events returns a copy of the recorded events.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Sinks fans events out to several sinks in order.
type Sinks []EventSink

// Emit passes the event to each sink.
func (s Sinks) Emit(e Event) {
	for _, sink := range s {
		sink.Emit(e)
	}
}

type discard struct{}

func (discard) Emit(Event) {}
