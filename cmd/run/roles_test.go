package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/snowflake"
)

// newSnowflakeRolesProject is a Snowflake project on an account set up by
// deploy/snowflake/roles.sql: production signs in as ASSETFLOW_PROD_SVC, a
// branch as ASSETFLOW_BRANCH_SVC (whose role may only read PRODUCTION), each
// with its own key pair, and the double refuses what a role may not do.
func newSnowflakeRolesProject(t *testing.T) *project {
	t.Helper()
	p := newProject(t)
	srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: filepath.Join(p.dir, "sf"),
		Users: map[string]string{"ADMIN": "admin-password", "ASSETFLOW_CI": "ci-password"}, Databases: []string{"PRODUCTION"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	p.snowflake = srv
	keys, err := filepath.Abs("../../resources/snowflake/testdata/keys")
	if err != nil {
		t.Fatal(err)
	}
	branchKey, prodKey := filepath.Join(keys, "rsa_key.p8"), filepath.Join(keys, "other_key.p8")
	const passphrase = "test-only-passphrase"
	admin := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, sf.Config{Account: "local", User: "ADMIN", Password: "admin-password",
		Role: "ACCOUNTADMIN", Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", Params: map[string]*string{},
		LoginTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second, DisableTelemetry: true}))
	admin.SetMaxOpenConns(1)
	defer admin.Close()
	script, err := os.ReadFile("../../deploy/snowflake/roles.sql")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("<BRANCH_PUBLIC_KEY>", publicKeyOf(t, branchKey, passphrase),
		"<PROD_PUBLIC_KEY>", publicKeyOf(t, prodKey, "")).Replace(string(script))
	for _, stmt := range scriptStatements(text) {
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatalf("roles.sql: %s: %v", stmt, err)
		}
	}
	p.base[2] = fmt.Sprintf("ASSETFLOW_WAREHOUSE=snowflake://local?host=127.0.0.1&port=%d&protocol=http&warehouse=ASSETFLOW_WH", srv.Port())
	p.base = append(p.base,
		resources.CredentialVar("branch", "USER")+"=ASSETFLOW_BRANCH_SVC",
		resources.CredentialVar("branch", "PRIVATE_KEY_FILE")+"="+branchKey,
		resources.CredentialVar("branch", "PRIVATE_KEY_PASSPHRASE")+"="+passphrase,
		resources.CredentialVar("prod", "USER")+"=ASSETFLOW_PROD_SVC",
		resources.CredentialVar("prod", "PRIVATE_KEY_FILE")+"="+prodKey)
	return p
}

func publicKeyOf(t *testing.T, file, pass string) string {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	k, err := snowflake.ParsePrivateKey(text, []byte(pass), file)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := snowflake.PublicKeyText(k)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// scriptStatements splits a SQL script into statements, dropping comment lines.
func scriptStatements(script string) []string {
	var kept []string
	for _, line := range strings.Split(script, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			kept = append(kept, line)
		}
	}
	var out []string
	for _, s := range strings.Split(strings.Join(kept, "\n"), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
