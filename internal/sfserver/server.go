// Package sfserver is a local test double of Snowflake: an HTTP server that
// speaks the part of Snowflake's client protocol the gosnowflake driver uses,
// backed by the embedded DuckDB warehouse. It exists so the Snowflake backend
// and the whole pull-request lifecycle can be tested, through the real driver,
// on a machine with no Snowflake account. It is not Snowflake: it understands
// only the statements assetflow sends, and says so for any other.
package sfserver

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/assetflow/assetflow/resources/duckdb"
)

// Config sets up a server.
type Config struct {
	Dir       string            // the DuckDB warehouse folder that holds the databases
	Users     map[string]string // user -> password
	Databases []string          // databases that exist from the start, as on an account
}

// Server is a running test double.
type Server struct {
	cfg  Config
	wh   *duckdb.Warehouse
	http *http.Server
	ln   net.Listener
	addr string

	mu       sync.Mutex
	sessions map[string]*session
	nextID   atomic.Int64
	queries  atomic.Int64
	conns    map[net.Conn]struct{}
}

// session is one logged-in client: its own DuckDB connection, so BEGIN and
// COMMIT are real transactions, and its current database and schema.
type session struct {
	id       int64
	mu       sync.Mutex // one statement at a time, as a Snowflake session
	conn     *sql.Conn
	database string
	schema   string
}

// Start opens the warehouse, creates the initial databases and listens on
// 127.0.0.1 on a free port.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	return StartOn(ctx, cfg, "127.0.0.1:0")
}

// StartOn is Start on a given address.
func StartOn(ctx context.Context, cfg Config, addr string) (*Server, error) {
	wh, err := duckdb.Open(ctx, duckdb.Config{Dir: cfg.Dir})
	if err != nil {
		return nil, err
	}
	for _, db := range cfg.Databases {
		if err := wh.Attach(ctx, db, true); err != nil {
			wh.Close()
			return nil, fmt.Errorf("create database %s: %w", db, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		wh.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, wh: wh, ln: ln, addr: ln.Addr().String(), sessions: map[string]*session{},
		conns: map[net.Conn]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /session/v1/login-request", s.login)
	mux.HandleFunc("POST /queries/v1/query-request", s.queryRequest)
	mux.HandleFunc("POST /session", s.closeSession)
	mux.HandleFunc("POST /session/heartbeat", s.heartbeat)
	mux.HandleFunc("POST /telemetry/send", func(w http.ResponseWriter, r *http.Request) { writeOK(w, nil) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeFailure(w, codeSyntax, "the local Snowflake test double does not serve "+r.Method+" "+r.URL.Path, nil)
	})
	s.http = &http.Server{Handler: mux, ConnState: s.track}
	go s.http.Serve(ln)
	return s, nil
}

// Dir returns the warehouse folder the server keeps its databases in.
func (s *Server) Dir() string { return s.cfg.Dir }

// Addr returns host:port.
func (s *Server) Addr() string { return s.addr }

// Port returns the port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Queries counts the query requests served.
func (s *Server) Queries() int64 { return s.queries.Load() }

// Close stops serving, ends every session and closes the warehouse.
func (s *Server) Close() error {
	err := s.http.Close()
	s.mu.Lock()
	for tok, sess := range s.sessions {
		sess.conn.Close()
		delete(s.sessions, tok)
	}
	s.mu.Unlock()
	return errors.Join(err, s.wh.Close())
}

// DropConnections closes every open client connection at once, as a network
// failure would; the server keeps listening.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

func (s *Server) track(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case http.StateNew:
		s.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	}
}

// maxLoginBody caps a login request, read before anyone is authenticated: a
// real one is a few hundred bytes. Other requests are read only once their
// session token is known (see queryRequest).
const maxLoginBody = 64 << 10

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeFailure(w, codeSyntax, fmt.Sprintf("login request larger than %d bytes", maxLoginBody), nil)
			return
		}
		writeFailure(w, codeSyntax, "malformed login request", nil)
		return
	}
	want, ok := s.cfg.Users[req.Data.LoginName]
	if !ok || want != req.Data.Password {
		writeFailure(w, codeLoginFailed, "Incorrect username or password was specified.", nil)
		return
	}
	conn, err := s.wh.DB().Conn(r.Context())
	if err != nil {
		writeFailure(w, codeExecution, "cannot open a session: "+err.Error(), nil)
		return
	}
	sess := &session{id: s.nextID.Add(1), conn: conn, database: r.URL.Query().Get("databaseName"),
		schema: r.URL.Query().Get("schemaName")}
	token := randomToken()
	s.mu.Lock()
	s.sessions[token] = sess
	s.mu.Unlock()
	writeOK(w, map[string]any{
		"token": token, "masterToken": randomToken(), "sessionId": sess.id,
		"validityInSeconds": 3600, "masterValidityInSeconds": 14400,
		"serverVersion": "assetflow-local-test-double",
		"parameters":    []map[string]any{{"name": "TIMEZONE", "value": "UTC"}},
		"sessionInfo":   map[string]any{"databaseName": sess.database, "schemaName": sess.schema},
	})
}

// sessionOf finds the session of the request's token.
func (s *Server) sessionOf(r *http.Request) (string, *session) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, `Snowflake Token="`)
	token = strings.TrimSuffix(token, `"`)
	if !ok {
		return "", nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return token, s.sessions[token]
}

func (s *Server) closeSession(w http.ResponseWriter, r *http.Request) {
	token, sess := s.sessionOf(r)
	if sess != nil && r.URL.Query().Get("delete") == "true" {
		s.mu.Lock()
		delete(s.sessions, token)
		s.mu.Unlock()
		sess.mu.Lock()
		sess.conn.Close()
		sess.mu.Unlock()
	}
	writeOK(w, nil)
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) {
	if _, sess := s.sessionOf(r); sess == nil {
		writeFailure(w, codeNoSession, "Session no longer exists.", nil)
		return
	}
	writeOK(w, nil)
}

func (s *Server) queryRequest(w http.ResponseWriter, r *http.Request) {
	s.queries.Add(1)
	_, sess := s.sessionOf(r)
	if sess == nil {
		writeFailure(w, codeNoSession, "Session no longer exists.", nil)
		return
	}
	var req queryRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeFailure(w, codeSyntax, "malformed query request", nil)
		return
	}
	queryID := randomToken()[:16]
	sess.mu.Lock()
	data, err := s.run(r.Context(), sess, req)
	sess.mu.Unlock()
	if err != nil {
		var se *sqlError
		if !errors.As(err, &se) {
			se = &sqlError{code: codeExecution, state: stateExecution, msg: err.Error()}
		}
		writeFailure(w, se.code, se.msg, map[string]any{"sqlState": se.state, "queryId": queryID})
		return
	}
	data.QueryID, data.QueryResultFormat = queryID, "json"
	data.FinalDatabaseName, data.FinalSchemaName = sess.database, sess.schema
	data.Total, data.Returned = int64(len(data.RowSet)), int64(len(data.RowSet))
	writeOK(w, data)
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
