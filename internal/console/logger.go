// Package console is what the CLI shows a person: loggers for a terminal or for
// JSON lines, a progress line, and run summaries.
package console

import (
	"io"
	"os"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/engine"
)

// IsTerminal reports whether f is a character device, such as a terminal.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// NewLogger returns the logger for run events: readable lines when format is
// "console", JSON lines when "json"; "auto" picks console on a terminal. It adds
// no timestamp (events carry their own); use Timestamped for other lines.
func NewLogger(w io.Writer, format, level string, terminal bool) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Logger{}, engine.Usagef("--log-level %q: expected debug, info, warn or error", level)
	}
	switch format {
	case "auto":
		format = "json"
		if terminal {
			format = "console"
		}
	case "console", "json":
	default:
		return zerolog.Logger{}, engine.Usagef("--log-format %q: expected auto, console or json", format)
	}
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000", NoColor: !terminal, FieldsExclude: []string{"run_id", "event", "columns"}}
	}
	return zerolog.New(w).Level(lvl), nil
}

// Timestamped returns the logger with a timestamp on every line, for node logs
// and the CLI's own messages.
func Timestamped(log zerolog.Logger) zerolog.Logger { return log.With().Timestamp().Logger() }

// Events returns the event sink for a logger: the event's own time is its
// timestamp.
func Events(log zerolog.Logger) engine.EventSink {
	return engine.LogSink{Logger: log}
}
