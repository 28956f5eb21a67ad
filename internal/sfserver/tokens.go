package sfserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// Session tokens expire, as on a real account. gosnowflake v1.12.0 renews an
// expired session token when a request is answered 390112: it posts its master
// token to /session/token-request (restful.go, renewRestfulSession) and sends
// the request again with the new token. When the master token has expired too,
// the renewal is answered 390114 and the driver returns that error: the client
// must sign in again (v1.12.0 has no other handling of 390114).

// tokenFaults is the switchable token-expiry fault.
type tokenFaults struct {
	mu       sync.Mutex
	at       int64 // fire when the query counter reaches this; 0: unarmed
	master   bool  // expire the master tokens too
	fired    atomic.Int64
	renewals atomic.Int64
	expired  atomic.Int64 // requests answered 390112 or 390114
}

// ExpireTokens expires every session token issued so far: the next request
// with one is answered 390112 and the driver must renew it with its master
// token. With master true the master tokens expire too, so the renewal is
// answered 390114 and the client must sign in again.
func (s *Server) ExpireTokens(master bool) {
	s.tokens.fired.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[*session]bool{}
	for _, sess := range s.sessions {
		if seen[sess] {
			continue
		}
		seen[sess] = true
		sess.tokenExpired = true
		if master {
			delete(s.masters, sess.masterToken)
			s.expiredMasters[sess.masterToken] = true
		}
	}
}

// ExpireTokensAfter arms ExpireTokens to land just before the server handles
// its (Queries()+n)-th query request: a token expiry in the middle of a run.
func (s *Server) ExpireTokensAfter(n int64, master bool) {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	s.tokens.at, s.tokens.master = s.queries.Load()+n, master
}

// TokenExpiries counts how many times the token-expiry fault landed.
func (s *Server) TokenExpiries() int64 { return s.tokens.fired.Load() }

// TokenRenewals counts session tokens renewed with a master token.
func (s *Server) TokenRenewals() int64 { return s.tokens.renewals.Load() }

// ExpiredAnswers counts requests answered 390112 or 390114.
func (s *Server) ExpiredAnswers() int64 { return s.tokens.expired.Load() }

// fire lands an armed fault once the query counter reaches it.
func (f *tokenFaults) fire(s *Server, queries int64) {
	f.mu.Lock()
	due := f.at != 0 && queries >= f.at
	master := f.master
	if due {
		f.at = 0
	}
	f.mu.Unlock()
	if due {
		s.ExpireTokens(master)
	}
}

// refuseExpired answers 390112 to a request made with an expired session token.
func (s *Server) refuseExpired(w http.ResponseWriter, sess *session) bool {
	s.mu.Lock()
	expired := sess.tokenExpired
	s.mu.Unlock()
	if !expired {
		return false
	}
	s.tokens.expired.Add(1)
	writeFailure(w, codeSessionExpire, "Session token expired.", nil)
	return true
}

// tokenRequest renews a session token: the request carries the master token
// in its Authorization header and the old session token in its body.
func (s *Server) tokenRequest(w http.ResponseWriter, r *http.Request) {
	master, ok := strings.CutPrefix(r.Header.Get("Authorization"), `Snowflake Token="`)
	master = strings.TrimSuffix(master, `"`)
	var body struct {
		OldSessionToken string `json:"oldSessionToken"`
		RequestType     string `json:"requestType"`
	}
	// Read before the master token is checked: capped like a login.
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !ok || body.RequestType != "RENEW" {
		writeFailure(w, codeSyntax, "malformed token request", nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.expiredMasters[master] {
		s.tokens.expired.Add(1)
		writeFailure(w, codeMasterExpired, "Authentication token has expired.  The user must authenticate again.", nil)
		return
	}
	sess := s.masters[master]
	if sess == nil || sess.token != body.OldSessionToken {
		writeFailure(w, codeNoSession, "Session no longer exists.", nil)
		return
	}
	delete(s.sessions, sess.token)
	sess.token, sess.tokenExpired = randomToken(), false
	s.sessions[sess.token] = sess
	s.tokens.renewals.Add(1)
	writeOK(w, map[string]any{"sessionToken": sess.token, "validityInSecondsST": 3600,
		"masterToken": master, "validityInSecondsMT": 14400, "sessionId": sess.id})
}
