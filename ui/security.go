package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// tokenCookie carries the access token after the first visit with ?token=.
const tokenCookie = "assetflow_ui_token"

// csrfHeader carries the CSRF token on every POST.
const csrfHeader = "X-CSRF-Token"

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("ui: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b)
}

func equalSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// guard applies, in order: security headers, the Host check against DNS
// rebinding (loopback without a token), the access token, and for POSTs the
// read-only mode, the same-origin check and the CSRF token.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if s.cfg.Token == "" {
			host, _, err := net.SplitHostPort(r.Host)
			if err != nil {
				host = r.Host
			}
			if !isLoopback(strings.Trim(host, "[]")) {
				writeError(w, http.StatusForbidden, "host %q refused: this UI answers only to loopback names (set %s to serve other addresses)", r.Host, TokenVar)
				return
			}
		} else if !s.authorized(w, r) {
			return
		}
		if r.Method == http.MethodPost {
			if s.cfg.ReadOnly && changes(r.URL.Path) {
				writeError(w, http.StatusForbidden, "the UI is read-only (started with --read-only): launching and re-executing are off")
				return
			}
			if !sameOrigin(r) {
				writeError(w, http.StatusForbidden, "cross-origin request refused: POSTs must come from this UI's own pages")
				return
			}
			if !equalSecret(r.Header.Get(csrfHeader), s.csrf) {
				writeError(w, http.StatusForbidden, "missing or wrong CSRF token: send the header %s with the token from GET /api/csrf", csrfHeader)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// localRedirect is a redirect to path on this server: leading slashes and
// backslashes are folded into one slash, since a browser reads "//host/..." or
// "/\\host/..." as another host.
func localRedirect(path, query string) string {
	loc := "/" + strings.TrimLeft(path, "/\\")
	if query != "" {
		loc += "?" + query
	}
	return loc
}

// authorized checks the access token: the Authorization header (Bearer), the
// cookie, or a ?token= query, which sets the cookie and redirects to the same
// URL without it, so the token does not linger in the address bar.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if equalSecret(auth, s.cfg.Token) {
			return true
		}
		writeError(w, http.StatusUnauthorized, "wrong token in the Authorization header: use the value of %s", TokenVar)
		return false
	}
	if q := r.URL.Query().Get("token"); q != "" {
		if !equalSecret(q, s.cfg.Token) {
			writeError(w, http.StatusUnauthorized, "wrong token in ?token=: use the value of %s", TokenVar)
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: q, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		v := r.URL.Query()
		v.Del("token")
		http.Redirect(w, r, localRedirect(r.URL.EscapedPath(), v.Encode()), http.StatusSeeOther)
		return false
	}
	if c, err := r.Cookie(tokenCookie); err == nil && equalSecret(c.Value, s.cfg.Token) {
		return true
	}
	writeError(w, http.StatusUnauthorized, "this UI needs its token: open it with ?token=<%s> or send Authorization: Bearer <token>", TokenVar)
	return false
}

// changes tells whether a POST route changes something (as opposed to
// validating or previewing).
func changes(path string) bool {
	return path == "/api/launch" || strings.HasSuffix(path, "/reexecute")
}

// sameOrigin accepts a request whose Origin (or, without one, Sec-Fetch-Site)
// says it came from this host. Clients that send neither (curl, scripts) pass;
// they still need the CSRF token.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host == r.Host
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	return true
}
