package sfserver

import (
	"encoding/json"
	"net/http"
)

// The wire shapes gosnowflake v1.12 sends and decodes (see ../shared/SNOWFLAKE-PROTOCOL.md).

type loginRequest struct {
	Data struct {
		LoginName     string `json:"LOGIN_NAME"`
		Password      string `json:"PASSWORD"`
		AccountName   string `json:"ACCOUNT_NAME"`
		Authenticator string `json:"AUTHENTICATOR"`
		Token         string `json:"TOKEN"` // the signed JWT of key-pair sign-in
	} `json:"data"`
}

type queryRequest struct {
	SQLText   string                  `json:"sqlText"`
	Bindings  map[string]bindingValue `json:"bindings"`
	BindStage string                  `json:"bindStage"` // where an array bind's rows were PUT, e.g. @SYSTEM$BIND/<id>
}

type bindingValue struct {
	Type  string `json:"type"`
	Value any    `json:"value"` // a string, nil, or for array binding a list of them
}

type rowType struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Nullable  bool   `json:"nullable"`
	Length    int64  `json:"length"`
	Precision int64  `json:"precision"`
	Scale     int64  `json:"scale"`
}

type queryData struct {
	QueryID           string            `json:"queryId"`
	StatementTypeID   int64             `json:"statementTypeId"`
	QueryResultFormat string            `json:"queryResultFormat"`
	RowType           []rowType         `json:"rowtype"`
	RowSet            [][]*string       `json:"rowset"`
	RowSetBase64      string            `json:"rowsetBase64,omitempty"`
	Chunks            []chunkInfo       `json:"chunks,omitempty"`
	Qrmk              string            `json:"qrmk,omitempty"`
	ChunkHeaders      map[string]string `json:"chunkHeaders,omitempty"`
	Total             int64             `json:"total"`
	Returned          int64             `json:"returned"`
	FinalDatabaseName string            `json:"finalDatabaseName,omitempty"`
	FinalSchemaName   string            `json:"finalSchemaName,omitempty"`
	SQLState          string            `json:"sqlState,omitempty"`
	*FileTransfer                       // the answer to PUT
}

// chunkInfo is one result chunk the driver downloads.
type chunkInfo struct {
	URL              string `json:"url"`
	RowCount         int    `json:"rowCount"`
	UncompressedSize int64  `json:"uncompressedSize"`
	CompressedSize   int64  `json:"compressedSize"`
}

// Statement type ids the driver tells apart.
const (
	typeSelect = 0x1000
	typeInsert = 0x3100
	typeDDL    = 0x6000
)

// Error codes and SQL states as Snowflake sends them.
const (
	codeLoginFailed    = "390100"
	codeNoSession      = "390111"
	codeDoesNotExist   = "002003"
	codeAlreadyExists  = "002002"
	codeSyntax         = "001003"
	codeExecution      = "100132"
	stateDoesNotExist  = "02000"
	stateAlreadyExists = "42710"
	stateSyntax        = "42000"
	stateExecution     = "P0000"
)

// sqlError is a statement's failure, sent as Snowflake does.
type sqlError struct {
	code, state, msg string
}

func (e *sqlError) Error() string { return e.code + " (" + e.state + "): " + e.msg }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeOK(w http.ResponseWriter, data any) {
	writeJSON(w, map[string]any{"success": true, "code": nil, "message": nil, "data": data})
}

// writeFailure answers HTTP 200 with success false: never 5xx for an SQL error,
// or the driver retries.
func writeFailure(w http.ResponseWriter, code, msg string, data any) {
	writeJSON(w, map[string]any{"success": false, "code": code, "message": msg, "data": data})
}
