package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources/snowflake"
)

// `run dev snowflake-server --public-key` registers the user's key; a file that
// is not a PEM public key is a usage error naming it.
func TestDevPublicKey(t *testing.T) {
	pem, err := os.ReadFile("../resources/snowflake/testdata/keys/rsa_key_plain.p8")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := snowflake.ParsePrivateKey(pem, nil, "test key")
	pub, _ := snowflake.PublicKeyText(key)
	dir := t.TempDir()
	good := dir + "/key.pub"
	if err := os.WriteFile(good, []byte("-----BEGIN PUBLIC KEY-----\n"+pub+"\n-----END PUBLIC KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := devPublicKeys("ME", good)
	if err != nil || !keys["ME"].Equal(&key.PublicKey) {
		t.Fatalf("keys %v, %v", keys, err)
	}
	_, err = devPublicKeys("ME", "../resources/snowflake/testdata/keys/rsa_key_plain.p8")
	if err == nil || ExitCode(err) != 2 || !strings.Contains(err.Error(), "expected a PEM PUBLIC KEY") {
		t.Errorf("a private key as --public-key: %v", err)
	}
}
