// Package pgtest starts a throwaway PostgreSQL server for tests: initdb into a
// temporary folder, listening on 127.0.0.1 at a free port, stopped and removed
// at the end. It runs the server as the "postgres" user when the tests run as
// root, since PostgreSQL refuses root.
//
// The binaries are looked up in ASSETFLOW_TEST_PG_BIN, else in
// /usr/lib/postgresql/*/bin. Without them, tests skip, except under CI=true or
// with ASSETFLOW_TEST_PG_BIN set, where they fail: .ci/run installs PostgreSQL
// and sets it.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// BinVar names the folder holding initdb and postgres.
const BinVar = "ASSETFLOW_TEST_PG_BIN"

// Server is a running throwaway PostgreSQL.
type Server struct {
	dir    string
	port   int
	listen []string // addresses besides 127.0.0.1
	bin    string
	cmd    *exec.Cmd
	asPG   bool
	dbs    atomic.Int64
	done   chan struct{}
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
)

// Shared returns the package's server, starting it on first use; Stop it in
// TestMain with StopShared. Without PostgreSQL it skips the test (fails in CI).
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		if os.Getenv("CI") == "true" || os.Getenv(BinVar) != "" {
			t.Fatalf("PostgreSQL is needed (CI=true or %s set): %v", BinVar, sharedErr)
		}
		t.Skipf("no PostgreSQL (%v): install postgresql or set %s", sharedErr, BinVar)
	}
	return shared
}

// StopShared stops the shared server if one started.
func StopShared() {
	if shared != nil {
		shared.Stop()
	}
}

// Bin finds the PostgreSQL binaries.
func Bin() (string, error) {
	if b := os.Getenv(BinVar); b != "" {
		if _, err := os.Stat(filepath.Join(b, "initdb")); err != nil {
			return "", fmt.Errorf("%s=%s: no initdb there", BinVar, b)
		}
		return b, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", fmt.Errorf("no /usr/lib/postgresql/*/bin/initdb")
	}
	sort.Strings(found)
	return filepath.Dir(found[len(found)-1]), nil
}

// Start initialises and starts a server; Stop ends it and removes its files.
func Start() (*Server, error) { return StartOn(nil, nil) }

// StartOn starts a server that listens on 127.0.0.1 and on the addresses
// listen too (they must exist), and trusts clients of the networks
// clientNets (CIDR) besides loopback: workers in network namespaces of their
// own reach it over veth pairs.
func StartOn(listen, clientNets []string) (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "assetflow-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin, listen: listen, asPG: os.Geteuid() == 0, done: make(chan struct{})}
	if s.asPG {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.command("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if len(clientNets) > 0 {
		hba, err := os.OpenFile(filepath.Join(data, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		for _, n := range clientNets {
			fmt.Fprintf(hba, "host all all %s trust\n", n)
		}
		if err := hba.Close(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	s.port, err = freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.start(data); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// start runs postgres on the data folder and waits until it accepts connections.
func (s *Server) start(data string) error {
	s.cmd = s.command("postgres", "-D", data, "-h", strings.Join(append([]string{"127.0.0.1"}, s.listen...), ","), "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
	log, _ := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		log.Close()
		return err
	}
	done := s.done
	go func() { s.cmd.Wait(); log.Close(); close(done) }()
	return s.waitReady(30 * time.Second)
}

// command runs a PostgreSQL binary, as the postgres user when we are root.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	if s.asPG {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		db, err := sql.Open("pgx", s.URL("postgres"))
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-s.done:
			b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
			return fmt.Errorf("postgres exited: %s", b)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %s: %v", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL is a postgres:// URL of a database on the server.
func (s *Server) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, database)
}

// URLAt is URL with another address of the server (see StartOn).
func (s *Server) URLAt(addr, database string) string {
	return fmt.Sprintf("postgres://postgres@%s:%d/%s?sslmode=disable", addr, s.port, database)
}

// Port is the server's TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.dbs.Add(1))
	db, err := sql.Open("pgx", s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return s.URL(name)
}

// Stop stops the server (fast shutdown, then kill after a deadline) and
// removes its files.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		stop := s.command("pg_ctl", "stop", "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "-t", "20")
		if err := stop.Run(); err != nil {
			s.cmd.Process.Kill()
		}
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

// Restart stops the server (fast shutdown: every connection is cut) and
// starts it again on the same port and data.
func (s *Server) Restart() error {
	data := filepath.Join(s.dir, "data")
	if out, err := s.command("pg_ctl", "stop", "-D", data, "-m", "fast", "-w", "-t", "20").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		return fmt.Errorf("postgres did not stop")
	}
	s.done = make(chan struct{})
	return s.start(data)
}
