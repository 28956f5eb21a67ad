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
	"crypto/rsa"
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
	"time"

	"github.com/assetflow/assetflow/resources/duckdb"
)

// Config sets up a server.
type Config struct {
	Dir       string            // the DuckDB warehouse folder that holds the databases
	Users     map[string]string // user -> password
	Databases []string          // databases that exist from the start, as on an account
	// Account is the account the double serves (DefaultAccount when empty): a
	// sign-in naming another is refused.
	Account string
	// PublicKeys registers users' RSA public keys for key-pair sign-in, as
	// ALTER USER ... SET RSA_PUBLIC_KEY does.
	PublicKeys map[string]*rsa.PublicKey
	// Now is the double's clock, which JWTs are checked against; time.Now when nil.
	Now func() time.Time

	// StageBindThreshold is the CLIENT_STAGE_ARRAY_BINDING_THRESHOLD sent at
	// login: 0 sends DefaultStageBindThreshold as a real account does, a
	// negative value sends none (every array bind stays inline).
	StageBindThreshold int
	// JSONResults answers queries in the JSON row format instead of Arrow.
	JSONResults bool
	// ChunkRows bounds the rows of one result chunk; 0 means DefaultChunkRows.
	ChunkRows int
	// KeepOrder returns rows in DuckDB's order when a query has no ORDER BY,
	// instead of shuffling them as a real account may.
	KeepOrder bool
	// NoPrivilegeChecks runs every statement whatever the session's role may
	// do; by default a statement the role lacks the privilege for fails with
	// 003001, as on a real account (see privileges.go).
	NoPrivilegeChecks bool
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

	users          map[string]*user    // upper-cased name -> user
	failures       []LoginFailure      // refused sign-ins, as login history
	masters        map[string]*session // master token -> session, for renewal
	expiredMasters map[string]bool     // master tokens that have expired
	grants         *grantStore         // privileges granted to roles, following their objects
	tokens         tokenFaults         // the switchable token-expiry fault
	stmtFault      statementFault      // statements made to fail
	faults         faults
	stats          stats
	secret         []byte // signs presigned URLs
	stages         stageStore
	results        resultStore
}

// session is one logged-in client: its own DuckDB connection, so BEGIN and
// COMMIT are real transactions, and its current database and schema.
type session struct {
	id       int64
	mu       sync.Mutex // one statement at a time, as a Snowflake session
	conn     *sql.Conn
	database string
	schema   string

	user, role   string            // who signed in, and the session's current role
	token        string            // the current session token
	masterToken  string            // renews the session token (POST /session/token-request)
	tokenExpired bool              // the session token has expired: answer 390112
	inTx         bool              // a transaction is open (DDL commits it)
	stages       map[string]*stage // temporary stages, by qualified name
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
		conns: map[net.Conn]struct{}{}, masters: map[string]*session{}, expiredMasters: map[string]bool{}, grants: newGrantStore(), secret: randomBytes(32)}
	s.loadUsers()
	s.stages.init()
	s.results.init()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /session/v1/login-request", s.login)
	mux.HandleFunc("POST /queries/v1/query-request", s.queryRequest)
	mux.HandleFunc("POST /session", s.closeSession)
	mux.HandleFunc("POST /session/heartbeat", s.heartbeat)
	mux.HandleFunc("POST /session/token-request", s.tokenRequest)
	mux.HandleFunc("PUT /gcs/{object...}", s.uploadObject)
	mux.HandleFunc("GET /results/{object...}", s.downloadChunk)
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
	s.stages.dropAll()
	s.results.dropAll()
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
	name, refused := s.authenticate(req)
	if refused != nil {
		writeFailure(w, refused.code, refused.msg, nil)
		return
	}
	conn, err := s.wh.DB().Conn(r.Context())
	if err != nil {
		writeFailure(w, codeExecution, "cannot open a session: "+err.Error(), nil)
		return
	}
	sess := &session{id: s.nextID.Add(1), conn: conn, stages: map[string]*stage{}, user: strings.ToUpper(name),
		role: s.roleAtLogin(name, r.URL.Query().Get("roleName")), token: randomToken(), masterToken: randomToken()}
	// A real account keeps a named database or schema as the session's
	// context only if it exists; otherwise the session has none.
	sess.database, sess.schema = s.loginContext(r.Context(), conn, r.URL.Query().Get("databaseName"), r.URL.Query().Get("schemaName"))
	s.mu.Lock()
	s.sessions[sess.token] = sess
	s.masters[sess.masterToken] = sess
	s.mu.Unlock()
	params := []map[string]any{{"name": "TIMEZONE", "value": "UTC"}}
	if n := s.cfg.stageBindThreshold(); n > 0 {
		params = append(params, map[string]any{"name": "CLIENT_STAGE_ARRAY_BINDING_THRESHOLD", "value": n})
	}
	writeOK(w, map[string]any{
		"token": sess.token, "masterToken": sess.masterToken, "sessionId": sess.id,
		"validityInSeconds": 3600, "masterValidityInSeconds": 14400,
		"serverVersion": "assetflow-local-test-double",
		"parameters":    params,
		"sessionInfo":   map[string]any{"databaseName": nullIfEmpty(sess.database), "schemaName": nullIfEmpty(sess.schema), "roleName": sess.role},
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
		delete(s.masters, sess.masterToken)
		s.mu.Unlock()
		sess.mu.Lock()
		endSession(r.Context(), sess)
		s.stages.dropSession(sess)
		s.results.dropSession(sess.id)
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
	s.tokens.fire(s, s.queries.Add(1))
	_, sess := s.sessionOf(r)
	if sess == nil {
		writeFailure(w, codeNoSession, "Session no longer exists.", nil)
		return
	}
	if s.refuseExpired(w, sess) {
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
	data.QueryID = queryID
	if data.StatementTypeID == typeSelect && data.QueryResultFormat == "" && s.cfg.resultFormat() == "arrow" {
		if err := s.asArrow(sess, data); err != nil {
			writeFailure(w, codeExecution, "cannot encode the result in Arrow: "+err.Error(), map[string]any{"sqlState": stateExecution, "queryId": queryID})
			return
		}
	}
	if data.QueryResultFormat == "" {
		data.QueryResultFormat = "json"
		data.Total, data.Returned = int64(len(data.RowSet)), int64(len(data.RowSet))
	}
	data.FinalDatabaseName, data.FinalSchemaName = sess.database, sess.schema
	writeOK(w, data)
}

// loginContext returns the database and schema a login named, each only if it
// exists.
func (s *Server) loginContext(ctx context.Context, conn *sql.Conn, db, schema string) (string, string) {
	if db == "" || !s.wh.Exists(db) || s.attach(ctx, db) != nil {
		return "", ""
	}
	if schema == "" {
		return db, ""
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_schemas() WHERE database_name = ? AND schema_name = ?`, db, schema).Scan(&n); err != nil || n == 0 {
		return db, ""
	}
	return db, schema
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
