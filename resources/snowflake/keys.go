package snowflake

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/youmark/pkcs8"
)

// KeyError is a private key that cannot be used. It names where the key came
// from and never holds the key or its passphrase.
type KeyError struct {
	Source string // e.g. "file /etc/keys/rsa_key.p8" or "variable ASSETFLOW_SNOWFLAKE_PROD_PRIVATE_KEY"
	Reason string
}

func (e *KeyError) Error() string { return "private key from " + e.Source + ": " + e.Reason }

// ParsePrivateKey reads an RSA private key in PEM, as Snowflake's key-pair
// guide makes it: PKCS#8, encrypted ("ENCRYPTED PRIVATE KEY", PBES2 as
// `openssl pkcs8 -topk8 -v2 aes256` writes) or not ("PRIVATE KEY"); a PKCS#1
// "RSA PRIVATE KEY" is accepted too. source names where the text came from, for
// errors. Text whose line breaks were flattened to the two characters \n (as
// some CI secret stores do) is accepted.
func ParsePrivateKey(text, passphrase []byte, source string) (*rsa.PrivateKey, error) {
	fail := func(format string, a ...any) (*rsa.PrivateKey, error) {
		return nil, &KeyError{Source: source, Reason: fmt.Sprintf(format, a...)}
	}
	if !strings.Contains(string(text), "\n") && strings.Contains(string(text), `\n`) {
		text = []byte(strings.ReplaceAll(string(text), `\n`, "\n"))
	}
	block, _ := pem.Decode(text)
	if block == nil {
		return fail("not a PEM key (expected -----BEGIN ENCRYPTED PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)")
	}
	var key any
	var err error
	switch block.Type {
	case "ENCRYPTED PRIVATE KEY":
		if len(passphrase) == 0 {
			return fail("the key is encrypted and no passphrase is set")
		}
		key, err = pkcs8.ParsePKCS8PrivateKey(block.Bytes, passphrase)
		if err != nil {
			return fail("cannot decrypt it: wrong passphrase, or an encryption other than PBES2 (make it with openssl pkcs8 -topk8 -v2 aes256)")
		}
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") { // legacy RFC 1423 encryption
			return fail("legacy PEM encryption is not supported: convert it with openssl pkcs8 -topk8 -v2 aes256")
		}
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return fail("a PEM block of type %q is not a private key", block.Type)
	}
	if err != nil {
		return fail("not a valid key: %v", err) // x509 errors name the problem, never the key bytes
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return fail("Snowflake key-pair sign-in needs an RSA key, not %T", key)
	}
	if rk.N.BitLen() < 2048 {
		return fail("the RSA key has %d bits; Snowflake requires at least 2048", rk.N.BitLen())
	}
	return rk, nil
}

// PublicKeyText returns a key's public half as ALTER USER ... SET RSA_PUBLIC_KEY
// takes it: base64 DER on one line.
func PublicKeyText(k *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return "", err
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[1:len(lines)-1], ""), nil
}
