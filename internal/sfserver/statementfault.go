package sfserver

import (
	"regexp"
	"sync"
	"sync/atomic"
)

// statementFault fails the statements matching a pattern, as a warehouse
// that runs out of room or loses a node mid-statement would: the statement
// does not run and the client gets an execution error.
type statementFault struct {
	mu      sync.Mutex
	pattern *regexp.Regexp
	left    int
	landed  atomic.Int64
}

// FailStatements makes the next n statements whose text matches pattern fail
// with 100132 (P0000) without running.
func (s *Server) FailStatements(pattern string, n int) {
	s.stmtFault.mu.Lock()
	defer s.stmtFault.mu.Unlock()
	s.stmtFault.pattern, s.stmtFault.left = regexp.MustCompile(pattern), n
}

// FailedStatements counts the statements FailStatements made fail.
func (s *Server) FailedStatements() int64 { return s.stmtFault.landed.Load() }

// injected returns the injected failure for stmt, if any.
func (f *statementFault) injected(stmt string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left == 0 || f.pattern == nil || !f.pattern.MatchString(stmt) {
		return nil
	}
	f.left--
	f.landed.Add(1)
	return &sqlError{code: codeExecution, state: stateExecution, msg: "injected failure (FailStatements)"}
}
