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

// URL returns raw with any user-info (user name and password) replaced by ***.
// It never returns raw's credentials, whether or not raw parses as a URL: when
// an @ stands past the host (a password holding /, # or ?, unescaped), all up
// to the last @ is hidden, host and path included.
func URL(raw string) string {
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

// Text returns s with the user-info of every URL in it replaced by ***.
func Text(s string) string {
	return credentials.ReplaceAllString(s, "${1}"+Mask+"@")
}
