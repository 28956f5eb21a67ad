package sfserver

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Sign-in as a real account does it: a password, or key-pair authentication
// (authenticator SNOWFLAKE_JWT), where the driver signs a JWT with the user's
// private key and the account checks it against the public key registered with
// ALTER USER ... SET RSA_PUBLIC_KEY. The claims are those gosnowflake v1.12.0
// builds in auth.go (prepareJWTToken): iss ACCOUNT.USER.SHA256:<fingerprint>,
// sub ACCOUNT.USER, iat, exp, signed RS256.

// DefaultAccount is the account the double serves when Config.Account is empty.
const DefaultAccount = "LOCAL"

// maxJWTLifetime is the longest exp - iat a real account accepts (one hour).
const maxJWTLifetime = time.Hour

// clockSkew is how far a token's iat may lie in the double's future.
const clockSkew = time.Minute

// Error codes of a refused sign-in, as a real account sends them.
const (
	codeJWTInvalid    = "390144" // JWT token is invalid.
	codeSessionExpire = "390112" // session token expired: renew with the master token
	codeMasterExpired = "390114" // master token expired: sign in again
)

// user is an account user: a password, up to two public keys (RSA_PUBLIC_KEY
// and RSA_PUBLIC_KEY_2, so keys can be rotated) and a default role.
type user struct {
	password    string
	keys        [2]*rsa.PublicKey
	defaultRole string
}

// LoginFailure is why a sign-in was refused, as the account records it in its
// login history (the client is told only "JWT token is invalid").
type LoginFailure struct {
	User   string
	Reason string
}

// account returns the upper-cased account name the double serves.
func (s *Server) account() string {
	if s.cfg.Account == "" {
		return DefaultAccount
	}
	return strings.ToUpper(s.cfg.Account)
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// accountOf is the account part of a name as the driver sends it: upper case,
// up to the first dot (gosnowflake dsn.go, extractAccountName).
func accountOf(raw string) string {
	if i := strings.Index(raw, "."); i > 0 {
		raw = raw[:i]
	}
	return strings.ToUpper(raw)
}

// loadUsers builds the user table from the configuration.
func (s *Server) loadUsers() {
	s.users = map[string]*user{}
	for name, pw := range s.cfg.Users {
		s.userFor(name).password = pw
	}
	for name, k := range s.cfg.PublicKeys {
		s.userFor(name).keys[0] = k
	}
}

// userFor returns the user, creating it. Callers hold s.mu or own s.
func (s *Server) userFor(name string) *user {
	key := strings.ToUpper(name)
	u := s.users[key]
	if u == nil {
		u = &user{}
		s.users[key] = u
	}
	return u
}

// SetPublicKey registers a user's public key in slot 1 or 2, as
// ALTER USER ... SET RSA_PUBLIC_KEY[_2] does.
func (s *Server) SetPublicKey(name string, slot int, key *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userFor(name).keys[slot-1] = key
}

// LoginFailures returns the refused sign-ins so far, with their reasons.
func (s *Server) LoginFailures() []LoginFailure {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LoginFailure(nil), s.failures...)
}

// authenticate checks a login request and returns the signed-in user's name.
func (s *Server) authenticate(req loginRequest) (string, *sqlError) {
	refuse := func(name, code, msg, reason string) (string, *sqlError) {
		s.mu.Lock()
		s.failures = append(s.failures, LoginFailure{User: name, Reason: reason})
		s.mu.Unlock()
		return "", &sqlError{code: code, state: "08004", msg: msg}
	}
	if strings.EqualFold(req.Data.Authenticator, "SNOWFLAKE_JWT") {
		name, reason := s.checkJWT(req.Data.Token)
		if reason != "" {
			return refuse(name, codeJWTInvalid, "JWT token is invalid.", reason)
		}
		return name, nil
	}
	name := req.Data.LoginName
	const wrong = "Incorrect username or password was specified."
	if accountOf(req.Data.AccountName) != s.account() {
		return refuse(name, codeLoginFailed, wrong, "account "+accountOf(req.Data.AccountName)+" is not this account")
	}
	s.mu.Lock()
	u := s.users[strings.ToUpper(name)]
	s.mu.Unlock()
	if u == nil || u.password == "" || u.password != req.Data.Password {
		return refuse(name, codeLoginFailed, wrong, "wrong user or password")
	}
	return name, nil
}

// checkJWT verifies a key-pair token and returns its user, or why it is refused.
func (s *Server) checkJWT(token string) (name, reason string) {
	claims := jwt.MapClaims{}
	var u *user
	var fingerprint string
	parsed, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		iss, _ := claims["iss"].(string)
		sub, _ := claims["sub"].(string)
		parts := strings.SplitN(iss, ".", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "SHA256:") {
			return nil, fmt.Errorf("issuer %q is not ACCOUNT.USER.SHA256:fingerprint", iss)
		}
		if parts[0] != s.account() {
			return nil, fmt.Errorf("account %s in the issuer is not this account", parts[0])
		}
		if sub != parts[0]+"."+parts[1] {
			return nil, fmt.Errorf("subject %q does not match the issuer", sub)
		}
		name, fingerprint = parts[1], strings.TrimPrefix(parts[2], "SHA256:")
		s.mu.Lock()
		u = s.users[strings.ToUpper(name)]
		s.mu.Unlock()
		if u == nil {
			return nil, fmt.Errorf("no user %s", name)
		}
		for _, k := range u.keys {
			if k != nil && Fingerprint(k) == fingerprint {
				return k, nil
			}
		}
		return nil, errors.New("the fingerprint matches no public key registered for the user")
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithLeeway(clockSkew))
	if err != nil {
		return name, err.Error()
	}
	if !parsed.Valid {
		return name, "invalid token"
	}
	iat, err1 := claims.GetIssuedAt()
	exp, err2 := claims.GetExpirationTime()
	if err1 != nil || err2 != nil || iat == nil || exp == nil {
		return name, "iat and exp are required"
	}
	if exp.Sub(iat.Time) > maxJWTLifetime {
		return name, "the token lives longer than one hour"
	}
	return name, ""
}

// Fingerprint is a public key's SHA-256 fingerprint as Snowflake shows it in
// DESC USER (RSA_PUBLIC_KEY_FP, without the SHA256: prefix): base64 of the
// hash of the DER-encoded SubjectPublicKeyInfo.
func Fingerprint(k *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// parsePublicKey reads a key as ALTER USER ... SET RSA_PUBLIC_KEY takes it:
// base64 DER, with or without the PEM lines around it.
func parsePublicKey(text string) (*rsa.PublicKey, error) {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "-----") {
			continue
		}
		b.WriteString(line)
	}
	der, err := base64.StdEncoding.DecodeString(b.String())
	if err != nil {
		return nil, errors.New("the public key is not base64")
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("the public key is not a DER SubjectPublicKeyInfo")
	}
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("the public key is not an RSA key")
	}
	return k, nil
}
