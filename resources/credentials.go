package resources

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/snowflake"
)

// Snowflake credentials per environment. Each environment signs in as its own
// user with its own role, so a branch deployment holds no credential that can
// write PRODUCTION. For an environment ENV (LOCAL, BRANCH or PROD):
//
//	ASSETFLOW_SNOWFLAKE_ENV_USER                    the user
//	ASSETFLOW_SNOWFLAKE_ENV_ROLE                    the role
//	ASSETFLOW_SNOWFLAKE_ENV_PRIVATE_KEY_FILE        a PEM private key file (key-pair sign-in), or
//	ASSETFLOW_SNOWFLAKE_ENV_PRIVATE_KEY             the PEM text itself, or
//	ASSETFLOW_SNOWFLAKE_ENV_PASSWORD                a password
//	ASSETFLOW_SNOWFLAKE_ENV_PRIVATE_KEY_PASSPHRASE  the passphrase of an encrypted key
//
// Each value falls back, in order, to: the environment's variable above; the
// warehouse URL (snowflake://USER@ACCOUNT?role=R), for user and role; the
// unscoped variable (SNOWFLAKE_USER, SNOWFLAKE_ROLE, SNOWFLAKE_PRIVATE_KEY_FILE,
// SNOWFLAKE_PRIVATE_KEY, SYSTEM_SNOWFLAKE_PASSWORD,
// SNOWFLAKE_PRIVATE_KEY_PASSPHRASE). An environment never reads another
// environment's variables. The secret comes from the first level that sets
// one, and that level must set only one of key file, key text and password.

// CredentialPrefix starts every per-environment Snowflake variable.
const CredentialPrefix = "ASSETFLOW_SNOWFLAKE_"

// Unscoped credential variables, the last fallback.
const (
	UserVar          = "SNOWFLAKE_USER"
	RoleVar          = "SNOWFLAKE_ROLE"
	KeyFileVar       = "SNOWFLAKE_PRIVATE_KEY_FILE"
	KeyVar           = "SNOWFLAKE_PRIVATE_KEY"
	KeyPassphraseVar = "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"
)

// maxKeyFile bounds how much of a key file is read; a PEM RSA key is a few KiB.
const maxKeyFile = 64 << 10

// CredentialVar returns the name of an environment's credential variable,
// e.g. CredentialVar("branch", "USER") is ASSETFLOW_SNOWFLAKE_BRANCH_USER.
func CredentialVar(env, what string) string {
	return CredentialPrefix + strings.ToUpper(env) + "_" + what
}

// credentials is what signs an environment in, and where it came from.
type credentials struct {
	user, role string
	password   string
	key        *rsa.PrivateKey
	keySource  string
	from       string // for display: which variables were used
}

// snowflakeCredentials resolves user, role and secret for an environment.
func snowflakeCredentials(env string, u *url.URL, lookup LookupFunc) (credentials, error) {
	get := func(name string) string { v, _ := lookup(name); return v }
	scoped := func(what string) string { return CredentialVar(env, what) }
	var c credentials
	var used []string
	pick := func(dst *string, values ...[2]string) { // [value, where]
		for _, v := range values {
			if v[0] != "" {
				*dst = v[0]
				used = append(used, v[1])
				return
			}
		}
	}
	pick(&c.user, [2]string{get(scoped("USER")), scoped("USER")}, [2]string{u.User.Username(), "user from " + WarehouseVar},
		[2]string{get(UserVar), UserVar})
	pick(&c.role, [2]string{get(scoped("ROLE")), scoped("ROLE")}, [2]string{u.Query().Get("role"), "role from " + WarehouseVar},
		[2]string{get(RoleVar), RoleVar})
	levels := [][3]string{
		{scoped("PRIVATE_KEY_FILE"), scoped("PRIVATE_KEY"), scoped("PASSWORD")},
		{KeyFileVar, KeyVar, PasswordVar},
	}
	found := false
	for _, names := range levels {
		var set []string
		for _, n := range names {
			if get(n) != "" {
				set = append(set, n)
			}
		}
		if len(set) > 1 {
			return c, engine.Usagef("snowflake credentials for %s: %s are all set; set only one (a key file, a key or a password)", env, strings.Join(set, " and "))
		}
		if len(set) == 0 {
			continue
		}
		found = true
		used = append(used, set[0])
		passphrase := get(scoped("PRIVATE_KEY_PASSPHRASE"))
		if passphrase == "" {
			passphrase = get(KeyPassphraseVar)
		}
		var err error
		switch set[0] {
		case names[0]:
			c.keySource = "file " + get(names[0]) + " (" + names[0] + ")"
			c.key, err = readKeyFile(get(names[0]), names[0], []byte(passphrase))
		case names[1]:
			c.keySource = "variable " + names[1]
			c.key, err = snowflake.ParsePrivateKey([]byte(get(names[1])), []byte(passphrase), c.keySource)
		default:
			c.password = get(names[2])
		}
		if err != nil {
			return c, engine.Usagef("snowflake credentials for %s: %v", env, err)
		}
		break
	}
	if !found {
		return c, engine.Usagef("snowflake credentials for %s: nothing to sign in with: set %s (key-pair sign-in) or %s; "+
			"the fallbacks %s, %s and %s are not set either", env, scoped("PRIVATE_KEY_FILE"), scoped("PASSWORD"), KeyFileVar, KeyVar, PasswordVar)
	}
	switch a := strings.ToUpper(u.Query().Get("authenticator")); {
	case a == "":
	case a == "SNOWFLAKE_JWT" && c.key == nil:
		return c, engine.Usagef("snowflake credentials for %s: authenticator=SNOWFLAKE_JWT needs a private key: set %s or %s", env, scoped("PRIVATE_KEY_FILE"), scoped("PRIVATE_KEY"))
	case a == "SNOWFLAKE" && c.key != nil:
		return c, engine.Usagef("snowflake credentials for %s: authenticator=SNOWFLAKE signs in with a password, but a private key is set: drop authenticator= to use the key", env)
	case a != "SNOWFLAKE_JWT" && a != "SNOWFLAKE":
		return c, engine.Usagef("snowflake authenticator %q: expected SNOWFLAKE_JWT (key pair) or SNOWFLAKE (password)", a)
	}
	c.from = strings.Join(used, ", ")
	return c, nil
}

// readKeyFile reads a PEM key file of bounded size.
func readKeyFile(path, variable string, passphrase []byte) (*rsa.PrivateKey, error) {
	source := "file " + path + " (" + variable + ")"
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &snowflake.KeyError{Source: source, Reason: fmt.Sprintf("cannot open it: %v", err)}
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, &snowflake.KeyError{Source: source, Reason: fmt.Sprintf("cannot read it: %v", err)}
	}
	if len(text) > maxKeyFile {
		return nil, &snowflake.KeyError{Source: source, Reason: fmt.Sprintf("larger than %d KiB: not a key", maxKeyFile>>10)}
	}
	return snowflake.ParsePrivateKey(text, passphrase, source)
}
