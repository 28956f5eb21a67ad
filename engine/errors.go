package engine

import (
	"errors"
	"fmt"
	"strings"
)

// Problem names a kind of definition or config error, so callers and tests can tell
// them apart without reading message text.
type Problem string

// The problems validation reports.
const (
	ProblemDuplicateName   Problem = "duplicate name"
	ProblemUnknownDep      Problem = "unknown dependency"
	ProblemCycle           Problem = "cycle"
	ProblemUnboundResource Problem = "unbound resource"
	ProblemUnknownOp       Problem = "unknown op"
	ProblemUnknownAsset    Problem = "unknown asset"
	ProblemUnknownInput    Problem = "unknown input"
	ProblemConfig          Problem = "invalid config"
	ProblemMissingCompute  Problem = "missing compute"
	ProblemInvalidName     Problem = "invalid name"
)

// DefinitionError is one problem found in definitions or run config. Subject says
// where ("asset comments", "job clone_prod"), Value is the offending value. Err,
// when set, is the cause, such as the error a config's Validate returned;
// errors.As finds it through Unwrap.
type DefinitionError struct {
	Problem Problem
	Subject string
	Value   string
	Detail  string
	Err     error
}

func (e *DefinitionError) Error() string {
	var b strings.Builder
	b.WriteString(e.Subject)
	b.WriteString(": ")
	b.WriteString(string(e.Problem))
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns the cause, if any.
func (e *DefinitionError) Unwrap() []error {
	if e.Err == nil {
		return nil
	}
	return []error{e.Err}
}

// ValidationErrors gathers every problem found at once. errors.Is and errors.As
// see each of them through Unwrap.
type ValidationErrors struct {
	Errs []error
}

func (e *ValidationErrors) Error() string {
	if len(e.Errs) == 1 {
		return e.Errs[0].Error()
	}
	lines := make([]string, 0, len(e.Errs)+1)
	lines = append(lines, fmt.Sprintf("%d problems in definitions:", len(e.Errs)))
	for _, err := range e.Errs {
		lines = append(lines, "  "+err.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns every gathered error.
func (e *ValidationErrors) Unwrap() []error { return e.Errs }

// orNil returns nil when no error was gathered.
func (e *ValidationErrors) orNil() error {
	if len(e.Errs) == 0 {
		return nil
	}
	return e
}

func (e *ValidationErrors) add(p Problem, subject, value, detail string) {
	e.Errs = append(e.Errs, &DefinitionError{Problem: p, Subject: subject, Value: value, Detail: detail})
}

// addCause records a problem caused by err, whose message is the detail.
func (e *ValidationErrors) addCause(p Problem, subject, prefix string, err error) {
	e.Errs = append(e.Errs, &DefinitionError{Problem: p, Subject: subject, Detail: prefix + err.Error(), Err: err})
}

// UsageError is a bad request, refused before anything runs: an unknown name, an
// empty selection, a malformed setting.
type UsageError struct {
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

// Usagef builds a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// JobUnavailableError is returned for a job that exists but is not defined in the
// current environment, such as a job for the branch environment run locally.
type JobUnavailableError struct {
	Job  string
	Env  string
	Envs []string
}

func (e *JobUnavailableError) Error() string {
	return fmt.Sprintf("job %s is defined for %s only; this is the %q environment",
		e.Job, envList(e.Envs), e.Env)
}

func envList(envs []string) string {
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = "the " + e + " environment"
	}
	return strings.Join(names, " and ")
}

// RunFailedError reports a run that did not succeed. It lists only root causes:
// steps skipped because an upstream failed are not repeated.
type RunFailedError struct {
	RunID    string
	Status   RunStatus
	Failures []StepResult
}

func (e *RunFailedError) Error() string {
	if e.Status == RunCanceled {
		return fmt.Sprintf("run %s canceled", e.RunID)
	}
	parts := make([]string, 0, len(e.Failures))
	for _, f := range e.Failures {
		parts = append(parts, fmt.Sprintf("%s: %v", f.Node, f.Err))
	}
	return fmt.Sprintf("run %s failed: %s", e.RunID, strings.Join(parts, "; "))
}

// Unwrap returns the failed steps' errors.
func (e *RunFailedError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failures))
	for _, f := range e.Failures {
		errs = append(errs, f.Err)
	}
	return errs
}

// IsInvalidInput reports whether err is the caller's to fix before anything
// runs: bad usage, invalid definitions or config, or a job not defined in this
// environment. A command line maps it to a usage status, a server to 400.
func IsInvalidInput(err error) bool {
	var (
		usage *UsageError
		def   *DefinitionError
		val   *ValidationErrors
		job   *JobUnavailableError
	)
	return errors.As(err, &usage) || errors.As(err, &def) || errors.As(err, &val) || errors.As(err, &job)
}
