package warehouse

import (
	"fmt"
	"regexp"
	"strings"
)

var identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// maxIdentLen is Snowflake's limit on identifier length.
const maxIdentLen = 255

// IdentError is a name that is not a valid identifier.
type IdentError struct {
	What  string // database, schema, table, PR id...
	Value string
}

func (e *IdentError) Error() string {
	if e.What == "PR id" {
		return fmt.Sprintf("invalid PR id %q: expected digits only, with no leading zero and at most 18 of them, e.g. 42", e.Value)
	}
	return fmt.Sprintf("invalid %s name %q: expected a letter or _ followed by letters, digits, _ or $", e.What, e.Value)
}

// CheckIdent validates a database, schema or table name.
func CheckIdent(what, name string) error {
	if len(name) > maxIdentLen || !identPattern.MatchString(name) {
		return &IdentError{What: what, Value: name}
	}
	return nil
}

// Quote returns a validated identifier in double quotes. It panics on a name that
// CheckIdent refuses: callers validate first, so this is a programming error.
func Quote(name string) string {
	if !identPattern.MatchString(name) {
		panic(fmt.Sprintf("warehouse.Quote: unvalidated identifier %q", name))
	}
	return `"` + name + `"`
}

// CheckPRID validates a pull-request id: digits only, with no leading zero, so
// one pull request has one spelling (05 would name another clone than 5, which
// the reaper's list of open pull requests would not keep).
func CheckPRID(id string) error {
	if id == "" || len(id) > 18 || strings.Trim(id, "0123456789") != "" || (len(id) > 1 && id[0] == '0') {
		return &IdentError{What: "PR id", Value: id}
	}
	return nil
}

// Production is the production database every clone is made from.
const Production = "PRODUCTION"

// ClonePrefix starts every per-pull-request clone's name.
const ClonePrefix = "PRODUCTION_CLONE_"

// CloneName returns the clone database of a pull request.
func CloneName(prID string) (string, error) {
	if err := CheckPRID(prID); err != nil {
		return "", err
	}
	return ClonePrefix + prID, nil
}
