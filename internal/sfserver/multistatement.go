package sfserver

import "fmt"

// statementCount counts the statements of a request's text, as Snowflake does
// before refusing more than one when MULTI_STATEMENT_COUNT was not raised: it
// splits on semicolons outside quotes and comments, ignoring empty statements.
func statementCount(text string) int {
	n, content := 0, false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\'' || c == '"':
			content = true
			for i++; i < len(text) && text[i] != c; i++ {
			}
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i++; i < len(text) && text[i] != '\n'; i++ {
			}
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			for i += 2; i+1 < len(text) && !(text[i] == '*' && text[i+1] == '/'); i++ {
			}
			i++
		case c == ';':
			if content {
				n++
			}
			content = false
		case c != ' ' && c != '\t' && c != '\n' && c != '\r':
			content = true
		}
	}
	if content {
		n++
	}
	return n
}

// multiStatementError is Snowflake's answer to several statements in one request.
func multiStatementError(n int) error {
	return &sqlError{code: "000008", state: "0A000",
		msg: fmt.Sprintf("Actual statement count %d did not match the desired statement count 1.", n)}
}
