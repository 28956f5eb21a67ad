package main

import (
	"context"
	"crypto/rsa"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/snowflake"
)

// `run env --check` in branch signs in with the branch's key (given as PEM text
// in a variable) and passes for a read-only role; for a role that can write
// PRODUCTION it exits non-zero naming the grant. No key material is printed.
func TestEnvCheck(t *testing.T) {
	pem, err := os.ReadFile("../../resources/snowflake/testdata/keys/rsa_key_plain.p8")
	if err != nil {
		t.Fatal(err)
	}
	key, err := snowflake.ParsePrivateKey(pem, nil, "test key")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: t.TempDir(), Databases: []string{"PRODUCTION"},
		Users: map[string]string{"ADMIN": "admin-password"}, PublicKeys: map[string]*rsa.PublicKey{"BRANCHY": &key.PublicKey}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	admin := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, sf.Config{Account: "local", User: "ADMIN", Password: "admin-password",
		Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", Params: map[string]*string{}, LoginTimeout: 5 * time.Second,
		RequestTimeout: 10 * time.Second, DisableTelemetry: true}))
	defer admin.Close()
	for _, s := range []string{"CREATE ROLE READER", "CREATE ROLE OWNER", "GRANT USAGE ON DATABASE PRODUCTION TO ROLE READER",
		"GRANT OWNERSHIP ON DATABASE PRODUCTION TO ROLE OWNER", "GRANT CREATE DATABASE ON ACCOUNT TO ROLE READER"} {
		if _, err := admin.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{
		"ASSETFLOW_WAREHOUSE":                    fmt.Sprintf("snowflake://local?host=127.0.0.1&port=%d&protocol=http", srv.Port()),
		"DAGSTER_CLOUD_PULL_REQUEST_ID":          "7",
		"ASSETFLOW_SNOWFLAKE_BRANCH_USER":        "BRANCHY",
		"ASSETFLOW_SNOWFLAKE_BRANCH_ROLE":        "READER",
		"ASSETFLOW_SNOWFLAKE_BRANCH_PRIVATE_KEY": strings.ReplaceAll(string(pem), "\n", `\n`), // as a CI secret store flattens it
	}
	noKey := func(out string) {
		t.Helper()
		if strings.Contains(out, "BEGIN") || strings.Contains(out, string(pem[40:80])) {
			t.Errorf("key material printed:\n%s", out)
		}
	}
	out, errOut, err := inProcess(t, vars, "--env", "branch", "env", "--check")
	if err != nil || !strings.Contains(out, "role READER; roles checked: READER") || !strings.HasSuffix(out, "  ok\n") ||
		!strings.Contains(out, "private_key  variable ASSETFLOW_SNOWFLAKE_BRANCH_PRIVATE_KEY") {
		t.Fatalf("read-only role: %v\n%s%s", err, out, errOut)
	}
	noKey(out + errOut)
	vars["ASSETFLOW_SNOWFLAKE_BRANCH_ROLE"] = "OWNER"
	out, errOut, err = inProcess(t, vars, "--env", "branch", "env", "--check")
	if err == nil || cli.ExitCode(err) != 1 || !strings.Contains(err.Error(), "branch role OWNER can write PRODUCTION: OWNERSHIP on DATABASE PRODUCTION") {
		t.Fatalf("owner role: %v\n%s%s", err, out, errOut)
	}
	noKey(out + errOut + err.Error())
	// Without --check nothing signs in.
	before := srv.Queries()
	if _, _, err := inProcess(t, vars, "--env", "branch", "env"); err != nil || srv.Queries() != before {
		t.Errorf("env without --check: %v, %d queries", err, srv.Queries()-before)
	}
}
