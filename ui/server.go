// Package ui is assetflow's web UI: the asset lineage graph coloured by status,
// each asset's materialization history, runs with their timeline and live event
// log, jobs, a Launchpad, clones and the environment. It serves server-rendered
// pages and a JSON API under /api/ from one binary, with its static files
// embedded: no network, nothing to build.
//
// The package knows nothing of a project or of the command line: everything it
// needs comes through Config, so any CLI can mount it (`run ui`).
package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
	"github.com/assetflow/assetflow/resources/clones"
)

// TokenVar names the environment variable holding the access token that any
// address other than loopback requires.
const TokenVar = "ASSETFLOW_UI_TOKEN"

// DefaultListen is where the UI listens unless told otherwise: loopback only.
const DefaultListen = "127.0.0.1:3000"

// Store is what the UI reads from the run store. *runstore.SQLite and
// *runstore.Postgres implement it; it is read afresh on every request, so
// runs of other processes show up.
type Store interface {
	Runs(ctx context.Context, limit int) ([]runstore.Run, error)
	Run(ctx context.Context, id string) (*runstore.RunDetail, error)
	LastMaterializationsIn(ctx context.Context, scope runstore.Scope) (map[string]runstore.Materialization, error)
	AssetVersions(ctx context.Context, asset string, limit int) ([]runstore.AssetVersion, error)
	LastStepOutcomes(ctx context.Context) (map[string]runstore.StepOutcome, error)
	EventsAfter(ctx context.Context, runID string, seq int64, limit int) ([]runstore.SeqEvent, error)
	RunHeader(ctx context.Context, runID string) (runstore.Run, error)
	// MarkAbandoned fails the runs whose process was killed, as every CLI
	// command does when it opens the store.
	MarkAbandoned(ctx context.Context) (int, error)
}

// LaunchRequest says what to run, as `run assets` or `run job` would.
type LaunchRequest struct {
	Kind        string `json:"kind"`                   // "assets" or "job"
	Job         string `json:"job,omitempty"`          // with kind "job"
	Selection   string `json:"selection,omitempty"`    // with kind "assets"; empty means every asset
	Config      string `json:"config,omitempty"`       // run config YAML, as --config reads it
	FromFailure string `json:"from_failure,omitempty"` // a run id, as --from-failure takes it
}

// Environment is what `run env` shows; resource secrets are already "***".
type Environment struct {
	Name      string                `json:"environment"`
	Source    string                `json:"decided_by"`
	PRID      string                `json:"pull_request,omitempty"`
	Database  string                `json:"database"`
	Resources []engine.ResourceView `json:"resources"`
}

// Config is everything the UI is given. Catalog, Store, Plan and Launch are
// required; the rest may be nil or zero.
type Config struct {
	// Catalog is the validated definitions of this environment.
	Catalog *engine.Catalog
	// Store is the run store the CLI records into.
	Store Store
	// Plan builds the plan a launch would run, exactly as the CLI plans it
	// (selection, job availability here, --from-failure, config validation).
	Plan func(ctx context.Context, req LaunchRequest, rc engine.RunConfig) (*engine.Plan, error)
	// Launch plans the run as Plan does, records it as started and runs it
	// in the background, as the CLI runs it, returning its id once it is in
	// the store; a request Plan would refuse, it refuses with the same error. The run is
	// cancelled when ctx ends: the UI passes a context that ends when it stops.
	Launch func(ctx context.Context, req LaunchRequest, rc engine.RunConfig) (runID string, err error)
	// Environment describes the environment, as `run env` does.
	Environment Environment
	// Clones lists the pull-request clones with their verdicts, as `run clones`.
	Clones func(ctx context.Context) ([]clones.Verdict, error)
	// ReapPreview judges the clones under rules without dropping anything.
	ReapPreview func(ctx context.Context, rules clones.ReapRules) ([]clones.Verdict, error)
	// Scope is where this environment's tables are recorded (environment,
	// warehouse, database), so a branch's table is never credited to
	// production's; the zero Scope matches every run.
	Scope runstore.Scope
	// ReadOnly hides and refuses everything that changes something.
	ReadOnly bool
	// Token, when set, is required on every request. It is required when the
	// UI listens on anything but loopback.
	Token string
	// Log receives the server's own messages (never secrets).
	Log zerolog.Logger
	// Poll is how often live views read the store for news (default 200ms).
	Poll time.Duration
}

// Server is the web UI. Create it with New; it is an http.Handler.
type Server struct {
	cfg     Config
	csrf    string
	mux     *http.ServeMux
	pages   *pages
	runCtx  context.Context
	stopRun context.CancelFunc
}

// New checks cfg and builds the server.
func New(cfg Config) (*Server, error) {
	if cfg.Catalog == nil || cfg.Store == nil || cfg.Plan == nil || cfg.Launch == nil {
		return nil, errors.New("ui: Config needs Catalog, Store, Plan and Launch")
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 200 * time.Millisecond
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, csrf: randomToken(), pages: p}
	s.runCtx, s.stopRun = context.WithCancel(context.Background())
	s.mux = http.NewServeMux()
	s.routes()
	return s, nil
}

// ServeHTTP applies the access checks, then serves the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.guard(s.mux).ServeHTTP(w, r)
}

// MinTokenLen is the shortest access token accepted: a token guards a UI that
// launches runs, and a short one is guessed by trying.
const MinTokenLen = 16

// CheckListen refuses an address that is not loopback when no token is set,
// and a token shorter than MinTokenLen.
func CheckListen(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return engine.Usagef("--listen %q: expected HOST:PORT, e.g. %s", addr, DefaultListen)
	}
	if token != "" && len(strings.TrimSpace(token)) < MinTokenLen {
		return engine.Usagef("%s is %d characters: use at least %d random ones, e.g. from `openssl rand -hex 32`", TokenVar, len(token), MinTokenLen)
	}
	if isLoopback(host) || token != "" {
		return nil
	}
	return engine.Usagef("--listen %s is not loopback: set %s to a secret token first (every request will need it), or listen on 127.0.0.1", addr, TokenVar)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve serves on l until ctx ends, then shuts down, cancelling the runs this
// server launched and waiting up to 10s for open requests.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		s.stopRun()
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(shutdown)
	s.stopRun()
	if errors.Is(err, context.DeadlineExceeded) {
		err = hs.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// URL returns the address to open for a listener's address.
func URL(addr net.Addr) string { return fmt.Sprintf("http://%s/", addr.String()) }
