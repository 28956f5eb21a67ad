package snowflake_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

const passphrase = "test-only-passphrase"

// readKey parses a test key from testdata/keys.
func readKey(t *testing.T, name, pass string) *rsa.PrivateKey {
	t.Helper()
	text, err := os.ReadFile("testdata/keys/" + name)
	if err != nil {
		t.Fatal(err)
	}
	k, err := snowflake.ParsePrivateKey(text, []byte(pass), "file "+name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyServer starts the double with the user's public key registered, and
// returns a configuration that signs in with the private key.
func keyServer(t *testing.T, clock func() time.Time) (*sfserver.Server, snowflake.Config) {
	t.Helper()
	key := readKey(t, "rsa_key.p8", passphrase)
	srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: t.TempDir(), Databases: []string{"PRODUCTION"},
		PublicKeys: map[string]*rsa.PublicKey{user: &key.PublicKey}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cfg := config(srv)
	cfg.Password, cfg.PrivateKey, cfg.KeySource = "", key, "file rsa_key.p8"
	return srv, cfg
}

// An encrypted PKCS#8 key made by Snowflake's documented openssl command signs
// in through the real driver's SNOWFLAKE_JWT path, and the backend works.
func TestKeyPairSignIn(t *testing.T) {
	srv, cfg := keyServer(t, nil)
	ctx := context.Background()
	w, err := snowflake.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	tbl := warehousetest.Sample(1, 5)
	defer tbl.Release()
	if err := w.WriteTable(ctx, ref, tbl); err != nil {
		t.Fatal(err)
	}
	got, err := w.ReadTable(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	warehousetest.Equal(t, got, tbl)
	if f := srv.LoginFailures(); len(f) != 0 {
		t.Errorf("failures %v", f)
	}
	// The same user has no password: a password sign-in is refused.
	cfg.PrivateKey, cfg.Password = nil, "anything"
	if _, err := snowflake.Open(ctx, cfg); err == nil || !strings.Contains(err.Error(), "incorrect username or password") {
		t.Errorf("password sign-in of a key-only user: %v", err)
	}
}

// The double refuses a key that is not the registered one, a token that has
// expired, and a token for another account, as a real account does: 390144
// "JWT token is invalid" to the client, the reason in the login history.
func TestKeyPairRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		change       func(*snowflake.Config)
		clock        func() time.Time
	}{
		{"wrong key", "fingerprint matches no public key", func(c *snowflake.Config) { c.PrivateKey = readKey(t, "other_key.p8", "") }, nil},
		{"expired token", "token is expired", nil, func() time.Time { return time.Now().Add(2 * time.Hour) }},
		{"wrong account", "account OTHER in the issuer is not this account", func(c *snowflake.Config) { c.Account = "other" }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cfg := keyServer(t, tc.clock)
			if tc.change != nil {
				tc.change(&cfg)
			}
			_, err := snowflake.Open(context.Background(), cfg)
			if err == nil {
				t.Fatal("signed in")
			}
			if !strings.Contains(err.Error(), "key-pair sign-in refused for user "+user+": JWT token is invalid") {
				t.Errorf("error %v", err)
			}
			noKeyMaterial(t, err.Error(), cfg.PrivateKey)
			f := srv.LoginFailures()
			if len(f) == 0 || !strings.Contains(f[len(f)-1].Reason, tc.reason) {
				t.Errorf("login history %+v, want a reason with %q", f, tc.reason)
			}
			if srv.Queries() != 0 {
				t.Error("queries were served to a refused sign-in")
			}
		})
	}
}

// A key registered later, with ALTER USER ... SET RSA_PUBLIC_KEY_2 as in a key
// rotation, signs in.
func TestKeyRotationThroughAlterUser(t *testing.T) {
	srv, cfg := keyServer(t, nil)
	ctx := context.Background()
	w, err := snowflake.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	next := readKey(t, "other_key.p8", "")
	pub, err := snowflake.PublicKeyText(next)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Exec(ctx, "ALTER USER "+user+" SET RSA_PUBLIC_KEY_2='"+pub+"'"); err != nil {
		t.Fatal(err)
	}
	cfg.PrivateKey = next
	w2, err := snowflake.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("the rotated key: %v", err)
	}
	w2.Close()
	if err := w.Exec(ctx, "ALTER USER "+user+" UNSET RSA_PUBLIC_KEY_2"); err != nil {
		t.Fatal(err)
	}
	if _, err := snowflake.Open(ctx, cfg); err == nil {
		t.Error("an unset key still signs in")
	}
	_ = srv
}

// noKeyMaterial fails if text holds any part of the key.
func noKeyMaterial(t *testing.T, text string, k *rsa.PrivateKey) {
	t.Helper()
	if k == nil {
		return
	}
	pub, _ := snowflake.PublicKeyText(k)
	for _, secret := range []string{passphrase, k.D.String()[:20], k.N.String()[:20], pub[40:80]} {
		if strings.Contains(text, secret) {
			t.Errorf("%q shows key material", text)
		}
	}
}

func TestParsePrivateKey(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/keys/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	enc := read("rsa_key.p8")
	want := readKey(t, "rsa_key_plain.p8", "")
	k, err := snowflake.ParsePrivateKey(enc, []byte(passphrase), "x")
	if err != nil || !k.Equal(want) {
		t.Fatalf("encrypted key: %v", err)
	}
	if k, err := snowflake.ParsePrivateKey(read("pkcs1_key.pem"), nil, "x"); err != nil || k == nil {
		t.Errorf("PKCS#1 key: %v", err)
	}
	flat := strings.ReplaceAll(string(enc), "\n", `\n`)
	if k, err := snowflake.ParsePrivateKey([]byte(flat), []byte(passphrase), "x"); err != nil || !k.Equal(want) {
		t.Errorf("key with flattened line breaks: %v", err)
	}
	for _, tc := range []struct {
		name       string
		text, pass []byte
		reason     string
	}{
		{"wrong passphrase", enc, []byte("wrong-passphrase"), "cannot decrypt it: wrong passphrase"},
		{"no passphrase", enc, nil, "the key is encrypted and no passphrase is set"},
		{"EC key", read("ec_key.p8"), nil, "needs an RSA key"},
		{"legacy PEM encryption", read("legacy_encrypted.pem"), []byte(passphrase), "legacy PEM encryption is not supported: convert it with openssl pkcs8"},
		{"1024 bits", read("small_key.p8"), nil, "has 1024 bits; Snowflake requires at least 2048"},
		{"not PEM", []byte("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), nil, "not a PEM key"},
		{"public key", []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), nil, `type "PUBLIC KEY" is not a private key`},
		{"truncated", enc[:len(enc)/2], []byte(passphrase), "not a PEM key"},
	} {
		_, err := snowflake.ParsePrivateKey(tc.text, tc.pass, "variable SECRET_KEY")
		var ke *snowflake.KeyError
		if !errors.As(err, &ke) || ke.Source != "variable SECRET_KEY" || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if strings.Contains(err.Error(), "wrong-passphrase") || strings.Contains(err.Error(), passphrase) || strings.Contains(err.Error(), "MII") {
			t.Errorf("%s: the error shows a secret: %v", tc.name, err)
		}
	}
}

// The configuration shown by `run env` names where the key came from, never
// the key; a password is shown as ***.
func TestSettingsHideSecrets(t *testing.T) {
	key := readKey(t, "rsa_key.p8", passphrase)
	cfg := snowflake.Config{Account: "acct", User: "me", PrivateKey: key, KeySource: "file /keys/rsa_key.p8"}
	var all strings.Builder
	for _, s := range cfg.Settings() {
		all.WriteString(s.Name + "=" + s.Shown() + "\n")
	}
	if !strings.Contains(all.String(), "authenticator=SNOWFLAKE_JWT") || !strings.Contains(all.String(), "private_key=file /keys/rsa_key.p8") {
		t.Errorf("settings %s", all.String())
	}
	noKeyMaterial(t, all.String(), key)
	cfg = snowflake.Config{Account: "acct", User: "me", Password: "hunter2-secret"}
	all.Reset()
	for _, s := range cfg.Settings() {
		all.WriteString(s.Name + "=" + s.Shown() + "\n")
	}
	if strings.Contains(all.String(), "hunter2-secret") || !strings.Contains(all.String(), "password=***") {
		t.Errorf("settings %s", all.String())
	}
}

// The whole warehouse suite passes with key-pair sign-in.
func TestSuiteWithKeyPair(t *testing.T) {
	warehousetest.Run(t, func(t *testing.T) warehouse.Warehouse {
		_, cfg := keyServer(t, nil)
		w, err := snowflake.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return w
	})
}
