package resources_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources"
)

const (
	keyFile    = "snowflake/testdata/keys/rsa_key.p8" // encrypted with the passphrase below
	plainKey   = "snowflake/testdata/keys/rsa_key_plain.p8"
	passphrase = "test-only-passphrase"
)

// settingsOf binds an environment and returns the warehouse's settings as shown.
func settingsOf(t *testing.T, env resources.Environment, vars map[string]string) (map[string]string, error) {
	t.Helper()
	res, err := resources.Warehouse(env, "HACKER_NEWS", resources.Options{Lookup: lookup(vars)})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range res["warehouse"].Settings {
		out[s.Name] = s.Shown()
	}
	return out, nil
}

var (
	branch = resources.Environment{Name: resources.Branch, PRID: "42"}
	prod   = resources.Environment{Name: resources.Prod}
)

// One set of variables, as a CI holds them: the branch deployment signs in as
// the branch user with the branch role and key, production as the production
// user with its role and key, and neither reads the other's.
func TestCredentialsPerEnvironment(t *testing.T) {
	vars := map[string]string{
		"ASSETFLOW_WAREHOUSE":                               "snowflake://acct?warehouse=W",
		"ASSETFLOW_SNOWFLAKE_BRANCH_USER":                   "ASSETFLOW_BRANCH_SVC",
		"ASSETFLOW_SNOWFLAKE_BRANCH_ROLE":                   "ASSETFLOW_BRANCH",
		"ASSETFLOW_SNOWFLAKE_BRANCH_PRIVATE_KEY_FILE":       keyFile,
		"ASSETFLOW_SNOWFLAKE_BRANCH_PRIVATE_KEY_PASSPHRASE": passphrase,
		"ASSETFLOW_SNOWFLAKE_PROD_USER":                     "ASSETFLOW_PROD_SVC",
		"ASSETFLOW_SNOWFLAKE_PROD_ROLE":                     "ASSETFLOW_PROD",
		"ASSETFLOW_SNOWFLAKE_PROD_PASSWORD":                 "prod-secret-password",
	}
	b, err := settingsOf(t, branch, vars)
	if err != nil {
		t.Fatal(err)
	}
	if b["user"] != "ASSETFLOW_BRANCH_SVC" || b["role"] != "ASSETFLOW_BRANCH" || b["authenticator"] != "SNOWFLAKE_JWT" ||
		b["private_key"] != "file "+keyFile+" (ASSETFLOW_SNOWFLAKE_BRANCH_PRIVATE_KEY_FILE)" {
		t.Errorf("branch settings %v", b)
	}
	p, err := settingsOf(t, prod, vars)
	if err != nil {
		t.Fatal(err)
	}
	if p["user"] != "ASSETFLOW_PROD_SVC" || p["role"] != "ASSETFLOW_PROD" || p["password"] != "***" ||
		p["credentials"] != "ASSETFLOW_SNOWFLAKE_PROD_USER, ASSETFLOW_SNOWFLAKE_PROD_ROLE, ASSETFLOW_SNOWFLAKE_PROD_PASSWORD" {
		t.Errorf("prod settings %v", p)
	}
	for _, s := range []map[string]string{b, p} {
		for k, v := range s {
			if strings.Contains(v, "prod-secret-password") || strings.Contains(v, passphrase) || strings.Contains(v, "BEGIN") {
				t.Errorf("setting %s shows a secret: %s", k, v)
			}
		}
	}
	// Only production's credentials set: a branch deployment does not use them.
	onlyProd := map[string]string{"ASSETFLOW_WAREHOUSE": "snowflake://acct", "ASSETFLOW_SNOWFLAKE_PROD_USER": "P",
		"ASSETFLOW_SNOWFLAKE_PROD_PASSWORD": "prod-secret-password"}
	if _, err := settingsOf(t, branch, onlyProd); err == nil || !strings.Contains(err.Error(), "snowflake credentials for branch: nothing to sign in with") {
		t.Errorf("branch with only production credentials: %v", err)
	}
}

// The documented fallback order: the environment's variable, then the URL,
// then the unscoped variable.
func TestCredentialFallbackOrder(t *testing.T) {
	vars := map[string]string{"ASSETFLOW_WAREHOUSE": "snowflake://URLUSER@acct?role=URLROLE",
		"SNOWFLAKE_USER": "PLAIN", "SNOWFLAKE_ROLE": "PLAINROLE", "SYSTEM_SNOWFLAKE_PASSWORD": "pw"}
	s, err := settingsOf(t, prod, vars)
	if err != nil || s["user"] != "URLUSER" || s["role"] != "URLROLE" {
		t.Fatalf("URL before unscoped: %v %v", s, err)
	}
	vars["ASSETFLOW_SNOWFLAKE_PROD_USER"], vars["ASSETFLOW_SNOWFLAKE_PROD_ROLE"] = "SCOPED", "SCOPEDROLE"
	if s, _ := settingsOf(t, prod, vars); s["user"] != "SCOPED" || s["role"] != "SCOPEDROLE" {
		t.Errorf("scoped first: %v", s)
	}
	vars["ASSETFLOW_WAREHOUSE"] = "snowflake://acct"
	delete(vars, "ASSETFLOW_SNOWFLAKE_PROD_USER")
	delete(vars, "ASSETFLOW_SNOWFLAKE_PROD_ROLE")
	if s, _ := settingsOf(t, prod, vars); s["user"] != "PLAIN" || s["role"] != "PLAINROLE" || s["password"] != "***" {
		t.Errorf("unscoped last: %v", s)
	}
	// A scoped secret wins over an unscoped one of another kind.
	vars["ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_FILE"] = plainKey
	if s, _ := settingsOf(t, prod, vars); s["authenticator"] != "SNOWFLAKE_JWT" {
		t.Errorf("scoped key over unscoped password: %v", s)
	}
}

// Bad credentials are refused before anything connects, in one line naming
// the variable and the fix, never showing a secret.
func TestCredentialRefusals(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.p8")
	if err := os.WriteFile(big, make([]byte, 100<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	base := func(extra ...string) map[string]string {
		m := map[string]string{"ASSETFLOW_WAREHOUSE": "snowflake://U@acct"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"two secrets at one level", base("ASSETFLOW_SNOWFLAKE_PROD_PASSWORD", "hunter2", "ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_FILE", keyFile),
			"ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_FILE and ASSETFLOW_SNOWFLAKE_PROD_PASSWORD are all set; set only one"},
		{"encrypted key, no passphrase", base("ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_FILE", keyFile),
			"the key is encrypted and no passphrase is set"},
		{"wrong passphrase", base("ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_FILE", keyFile, "ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_PASSPHRASE", "hunter2"),
			"private key from file " + keyFile + " (ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_FILE): cannot decrypt it: wrong passphrase"},
		{"missing key file", base("ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_FILE", "/nonexistent/k.p8"),
			"private key from file /nonexistent/k.p8 (ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_FILE): cannot open it: no such file or directory"},
		{"huge key file", base("ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_FILE", big), "larger than 64 KiB: not a key"},
		{"key text that is not PEM", base("SNOWFLAKE_PRIVATE_KEY", "hunter2"), "private key from variable SNOWFLAKE_PRIVATE_KEY: not a PEM key"},
		{"key in the URL", base("ASSETFLOW_WAREHOUSE", "snowflake://U@acct?private_key=hunter2"), "must not hold private_key=: secrets go in variables"},
		{"JWT without a key", base("ASSETFLOW_WAREHOUSE", "snowflake://U@acct?authenticator=snowflake_jwt", "SYSTEM_SNOWFLAKE_PASSWORD", "hunter2"),
			"authenticator=SNOWFLAKE_JWT needs a private key: set ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY_FILE"},
		{"unknown authenticator", base("ASSETFLOW_WAREHOUSE", "snowflake://U@acct?authenticator=okta", "SYSTEM_SNOWFLAKE_PASSWORD", "hunter2"),
			`snowflake authenticator "OKTA": expected SNOWFLAKE_JWT (key pair) or SNOWFLAKE (password)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := settingsOf(t, prod, tc.vars)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line free of secrets: %v", err)
			}
		})
	}
}
