package resources_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

const branchKey, prodKey = keyFile, "snowflake/testdata/keys/other_key.p8"

// account is the double with deploy/snowflake/roles.sql run on it by an
// admin, as a team would on a real account, after PRODUCTION has a table.
type account struct {
	srv   *sfserver.Server
	admin *sql.DB
}

func newAccount(t *testing.T) *account {
	t.Helper()
	srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: t.TempDir(),
		Users: map[string]string{"ADMIN": "admin-password"}, Databases: []string{"PRODUCTION"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx := context.Background()
	w, err := snowflake.Open(ctx, snowflake.Config{Account: "local", User: "ADMIN", Password: "admin-password", Role: "SYSADMIN",
		Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", LoginTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	items := warehousetest.Sample(1, 5)
	defer items.Release()
	if err := w.WriteTable(ctx, warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}, items); err != nil {
		t.Fatal(err)
	}
	w.Close()
	admin := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, sf.Config{Account: "local", User: "ADMIN", Password: "admin-password",
		Role: "ACCOUNTADMIN", Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", Params: map[string]*string{},
		LoginTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second, DisableTelemetry: true}))
	admin.SetMaxOpenConns(1)
	t.Cleanup(func() { admin.Close() })
	script, err := os.ReadFile("../deploy/snowflake/roles.sql")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("<BRANCH_PUBLIC_KEY>", publicKey(t, branchKey, passphrase),
		"<PROD_PUBLIC_KEY>", publicKey(t, prodKey, "")).Replace(string(script))
	for _, stmt := range statements(text) {
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatalf("roles.sql: %s: %v", stmt, err)
		}
	}
	return &account{srv: srv, admin: admin}
}

// statements splits a script into statements, dropping comment lines.
func statements(script string) []string {
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

func publicKey(t *testing.T, file, pass string) string {
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

// vars are a CI's variables for an environment signing in as user with a key.
func (a *account) vars(env, user, key, pass string) map[string]string {
	return map[string]string{
		"ASSETFLOW_WAREHOUSE":                                  fmt.Sprintf("snowflake://local?host=127.0.0.1&port=%d&protocol=http&warehouse=ASSETFLOW_WH", a.srv.Port()),
		resources.CredentialVar(env, "USER"):                   user,
		resources.CredentialVar(env, "PRIVATE_KEY_FILE"):       key,
		resources.CredentialVar(env, "PRIVATE_KEY_PASSPHRASE"): pass,
	}
}

func check(t *testing.T, env resources.Environment, vars map[string]string) (string, error) {
	t.Helper()
	r, err := resources.CheckAccess(context.Background(), env, "HACKER_NEWS", resources.Options{Lookup: lookup(vars)})
	return strings.Join(r.Lines, "\n"), err
}

// The roles of deploy/snowflake/roles.sql pass the check: the branch user
// (key-pair sign-in, its default role) cannot write PRODUCTION, production's can.
func TestRolesScriptPassesTheCheck(t *testing.T) {
	a := newAccount(t)
	out, err := check(t, branch, a.vars("branch", "ASSETFLOW_BRANCH_SVC", branchKey, passphrase))
	if err != nil {
		t.Fatalf("branch: %v\n%s", err, out)
	}
	for _, want := range []string{"as ASSETFLOW_BRANCH_SVC (key pair", "role ASSETFLOW_BRANCH;", "no grant lets it write PRODUCTION"} {
		if !strings.Contains(out, want) {
			t.Errorf("branch report lacks %q:\n%s", want, out)
		}
	}
	out, err = check(t, prod, a.vars("prod", "ASSETFLOW_PROD_SVC", prodKey, ""))
	if err != nil || !strings.Contains(out, "it can write PRODUCTION") {
		t.Errorf("prod: %v\n%s", err, out)
	}
	// The branch role clones PRODUCTION, owns the clone, writes it and drops it.
	ctx := context.Background()
	res, err := resources.Warehouse(branch, "HACKER_NEWS", resources.Options{Lookup: lookup(a.vars("branch", "ASSETFLOW_BRANCH_SVC", branchKey, passphrase))})
	if err != nil {
		t.Fatal(err)
	}
	v, err := res["warehouse"].Open(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := v.(warehouse.Warehouse)
	defer w.Close()
	if _, err := w.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_42"); err != nil {
		t.Fatal(err)
	}
	tbl := warehousetest.Sample(50, 3)
	defer tbl.Release()
	if err := w.WriteTable(ctx, warehouse.TableRef{Database: "PRODUCTION_CLONE_42", Schema: "HACKER_NEWS", Table: "ITEMS"}, tbl); err != nil {
		t.Fatal(err)
	}
	var owner string
	if err := a.admin.QueryRow(`SHOW GRANTS ON DATABASE PRODUCTION_CLONE_42`).Scan(new(sql.NullString), new(string), new(string), new(string),
		new(string), &owner, new(string), new(string)); err != nil || owner != "ASSETFLOW_BRANCH" {
		t.Errorf("clone owner %q, %v", owner, err)
	}
	if err := w.DropDatabase(ctx, "PRODUCTION_CLONE_42"); err != nil {
		t.Fatal(err)
	}
}

// In branch, the check refuses a role that can write PRODUCTION, whichever way
// it got the privilege, and says which grant, in one line.
func TestCheckRefusesWritableProduction(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grant []string
		want  string
	}{
		{"production's credentials in branch", nil, "OWNERSHIP on DATABASE PRODUCTION (held by role ASSETFLOW_PROD)"},
		{"a direct INSERT", []string{"GRANT INSERT ON TABLE PRODUCTION.HACKER_NEWS.ITEMS TO ROLE ASSETFLOW_BRANCH"},
			"INSERT on TABLE PRODUCTION.HACKER_NEWS.ITEMS (held by role ASSETFLOW_BRANCH)"},
		{"an inherited role", []string{"CREATE ROLE WRITER", "GRANT CREATE TABLE ON SCHEMA PRODUCTION.HACKER_NEWS TO ROLE WRITER",
			"GRANT ROLE WRITER TO ROLE ASSETFLOW_BRANCH"}, "CREATE TABLE on SCHEMA PRODUCTION.HACKER_NEWS (held by role WRITER)"},
		{"a future grant", []string{"GRANT INSERT ON FUTURE TABLES IN SCHEMA PRODUCTION.HACKER_NEWS TO ROLE ASSETFLOW_BRANCH"},
			"INSERT on FUTURE TABLE"},
		{"a system role", []string{"GRANT ROLE SYSADMIN TO ROLE ASSETFLOW_BRANCH"}, "(held by role SYSADMIN)"},
		{"MANAGE GRANTS", []string{"GRANT MANAGE GRANTS ON ACCOUNT TO ROLE ASSETFLOW_BRANCH"}, "MANAGE GRANTS on ACCOUNT"},
		{"another role of the user", []string{"GRANT ROLE ASSETFLOW_PROD TO USER ASSETFLOW_BRANCH_SVC"}, "(held by role ASSETFLOW_PROD)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			for _, s := range tc.grant {
				if _, err := a.admin.Exec(s); err != nil {
					t.Fatal(err)
				}
			}
			vars := a.vars("branch", "ASSETFLOW_BRANCH_SVC", branchKey, passphrase)
			if tc.grant == nil {
				vars = a.vars("branch", "ASSETFLOW_PROD_SVC", prodKey, "")
			}
			_, err := check(t, branch, vars)
			var pw *resources.ProductionWritableError
			if !errors.As(err, &pw) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want a refusal naming %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "see deploy/snowflake/roles.sql") {
				t.Errorf("no fix named: %v", err)
			}
		})
	}
}
