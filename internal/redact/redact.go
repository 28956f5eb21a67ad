// Package redact hides the credentials a URL may carry before it is shown in a
// log line, an error, `run env` or graph output.
package redact

import (
	"regexp"
	"strings"
)

// Mask replaces what is hidden.
const Mask = "***"

// credentials matches a scheme and everything up to the last @ of the same
// word: the user-info of a URL, even one url.Parse refuses or misreads (a
// password holding /, # or ?).
var credentials = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^\s"'<>]*@`)

// secretParam matches a query parameter that carries a credential by its
// name (Firebase's auth=, access_token=, api_key=, password= ...) up to its
// value's end.
var secretParam = regexp.MustCompile(`(?i)([?&;](?:auth|token|access_token|id_token|refresh_token|api_?key|key|secret|client_secret|password|passwd|pwd|passphrase|sig|signature|x-amz-signature|x-goog-signature|private_key)=)[^&;#\s"'<>]*`)

// params hides the values of query parameters that carry credentials.
func params(s string) string {
	return secretParam.ReplaceAllString(s, "${1}"+Mask)
}

// URL returns raw with any user-info (user name and password), and the value
// of any query parameter named for a credential, replaced by ***.
// It never returns raw's credentials, whether or not raw parses as a URL: when
// an @ stands past the host (a password holding /, # or ?, unescaped), all up
// to the last @ is hidden, host and path included.
func URL(raw string) string {
	raw = params(raw)
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || !strings.Contains(rest, "@") {
		return Text(raw)
	}
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 && !strings.Contains(rest[len(authority):], "@") {
		return scheme + "://" + Mask + "@" + rest[at+1:]
	}
	// An @ past the host: a password holding /, ?, # or a space, or an @ in
	// the path. Hide everything up to the last one; the first is what matters.
	return scheme + "://" + Mask + "@" + rest[strings.LastIndex(rest, "@")+1:]
}

// Text returns s with the user-info of every URL in it, and the values of
// query parameters named for credentials (auth=, token=, password= ...),
// replaced by ***.
func Text(s string) string {
	return params(credentials.ReplaceAllString(s, "${1}"+Mask+"@"))
}
