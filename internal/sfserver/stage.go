package sfserver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A stage is a temporary stage: files a session PUT, read back by INSERT with
// a bind stage and by COPY INTO, dropped with the session. Its files are
// uploaded the way a real account on Google Cloud takes them: the PUT answer
// names a GCS location and a presigned URL per file, the driver encrypts the
// file on the client (AES-CBC under a key wrapped with the stage's master key)
// and sends it by HTTP PUT to that URL, here served by the server itself.
type stage struct {
	id    string // server-wide, the first part of every object path
	name  string // qualified, upper case: DB.SCHEMA.NAME
	key   []byte // the query stage master key, AES-128
	smkID int64

	mu    sync.Mutex
	files map[string]stagedFile // path inside the stage -> content
}

type stagedFile struct {
	data      []byte // as decrypted; still compressed if the client compressed it
	encrypted bool
}

// put stores a file.
func (st *stage) put(p string, f stagedFile) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.files[p] = f
}

// list returns the files under a path prefix, sorted by path.
func (st *stage) list(prefix string) []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []string
	for p := range st.files {
		if prefix == "" || p == prefix || strings.HasPrefix(p, strings.TrimSuffix(prefix, "/")+"/") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (st *stage) get(p string) (stagedFile, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.files[p]
	return f, ok
}

func (st *stage) remove(p string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.files, p)
}

// stageStore finds stages by id for uploads.
type stageStore struct {
	mu    sync.Mutex
	byID  map[string]*stage
	smkID int64
}

func (ss *stageStore) init() { ss.byID = map[string]*stage{} }

func (ss *stageStore) add(name string) *stage {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.smkID++
	st := &stage{id: randomToken()[:16], name: name, key: randomBytes(16), smkID: ss.smkID, files: map[string]stagedFile{}}
	ss.byID[st.id] = st
	return st
}

func (ss *stageStore) byIDOf(id string) *stage {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.byID[id]
}

func (ss *stageStore) remove(st *stage) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, st.id)
}

func (ss *stageStore) dropSession(sess *session) {
	for name, st := range sess.stages {
		ss.remove(st)
		delete(sess.stages, name)
	}
}

func (ss *stageStore) dropAll() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.byID = map[string]*stage{}
}

var (
	reCreateStage = regexp.MustCompile(`(?is)^CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+)?STAGE\s+(IF\s+NOT\s+EXISTS\s+)?(` + qname + `)(\s.*)?$`)
	reDropStage   = regexp.MustCompile(`(?is)^DROP\s+STAGE\s+(IF\s+EXISTS\s+)?(` + qname + `)$`)
	// PUT 'file:///path/name' '@stage/path' OPTION=value ...
	rePut       = regexp.MustCompile(`(?is)^PUT\s+'?file://([^'\s]+)'?\s+'?@(` + qname + `)(/[^'\s]*)?'?((?:\s+[A-Za-z_]+\s*=\s*[^\s]+)*)$`)
	reOption    = regexp.MustCompile(`(?is)([A-Za-z_]+)\s*=\s*([^\s]+)`)
	reStageFrom = regexp.MustCompile(`^@(` + qname + `)(/.*)?$`)
)

// Snowflake's answer when a statement needs a current schema the session lacks.
func noCurrentSchema(verb string) error {
	return &sqlError{code: "090106", state: "22000",
		msg: fmt.Sprintf("Cannot perform %s. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name.", verb)}
}

// resolve qualifies a stage name with the session's context.
func (s *Server) resolveStage(sess *session, name, verb string) (string, error) {
	parts := splitName(name)
	for i := range parts {
		parts[i] = strings.ToUpper(parts[i])
	}
	switch len(parts) {
	case 1:
		if sess.database == "" || sess.schema == "" {
			return "", noCurrentSchema(verb)
		}
		parts = []string{sess.database, sess.schema, parts[0]}
	case 2:
		if sess.database == "" {
			return "", noCurrentSchema(verb)
		}
		parts = []string{sess.database, parts[0], parts[1]}
	}
	return strings.Join(parts, "."), nil
}

func (s *Server) createStage(ctx context.Context, sess *session, stmt string) (*queryData, error) {
	m := reCreateStage.FindStringSubmatch(stmt)
	if m[2] == "" {
		return nil, unsupported("only temporary stages", stmt)
	}
	if s.faultOn(FaultNoCurrentSchema) {
		s.land(FaultNoCurrentSchema)
		return nil, noCurrentSchema("CREATE STAGE")
	}
	name, err := s.resolveStage(sess, m[4], "CREATE STAGE")
	if err != nil {
		return nil, err
	}
	parts := strings.Split(name, ".")
	if err := s.attach(ctx, parts[0]); err != nil {
		return nil, err
	}
	if old, ok := sess.stages[name]; ok {
		switch {
		case m[3] != "":
			return status(fmt.Sprintf("%s already exists, statement succeeded.", parts[2])), nil
		case m[1] == "":
			return nil, &sqlError{code: codeAlreadyExists, state: stateAlreadyExists, msg: fmt.Sprintf("SQL compilation error:\nObject '%s' already exists.", parts[2])}
		}
		s.stages.remove(old)
	}
	sess.stages[name] = s.stages.add(name)
	return status(fmt.Sprintf("Stage area %s successfully created.", parts[2])), nil
}

func (s *Server) dropStage(sess *session, stmt string) (*queryData, error) {
	m := reDropStage.FindStringSubmatch(stmt)
	name, err := s.resolveStage(sess, m[2], "DROP STAGE")
	if err != nil {
		return nil, err
	}
	st, ok := sess.stages[name]
	if !ok {
		if m[1] == "" {
			return nil, notExist("Stage", name)
		}
		return status("Drop statement executed successfully (" + name + " already dropped)."), nil
	}
	s.stages.remove(st)
	delete(sess.stages, name)
	return status(name + " successfully dropped."), nil
}

// stageAt finds the stage and path of a reference "name/path".
func (s *Server) stageAt(sess *session, name, p, verb string) (*stage, string, error) {
	qualified, err := s.resolveStage(sess, name, verb)
	if err != nil {
		return nil, "", err
	}
	st, ok := sess.stages[qualified]
	if !ok {
		return nil, "", notExist("Stage", qualified)
	}
	return st, strings.Trim(p, "/"), nil
}

// FileTransfer is the answer to PUT: where and how to upload (file_transfer_agent.go).
type FileTransfer struct {
	Command           string         `json:"command"`
	SrcLocations      []string       `json:"src_locations"`
	Parallel          int            `json:"parallel"`
	Threshold         int64          `json:"threshold"`
	AutoCompress      bool           `json:"autoCompress"`
	Overwrite         bool           `json:"overwrite"`
	SourceCompression string         `json:"sourceCompression"`
	Encryption        encryptionInfo `json:"encryptionMaterial"`
	StageInfo         stageInfo      `json:"stageInfo"`
}

type encryptionInfo struct {
	QueryStageMasterKey string `json:"queryStageMasterKey"`
	QueryID             string `json:"queryId"`
	SMKID               int64  `json:"smkId"`
}

type stageInfo struct {
	LocationType          string         `json:"locationType"`
	Location              string         `json:"location"`
	Path                  string         `json:"path"`
	Region                string         `json:"region"`
	IsClientSideEncrypted bool           `json:"isClientSideEncrypted"`
	Creds                 map[string]any `json:"creds"`
	PresignedURL          string         `json:"presignedUrl"`
}

// gcsBucket is the bucket name in stage locations; objects live in memory.
const gcsBucket = "sfc-local-stage"

// put answers PUT. The driver asks again per file (with the file's name in the
// command) for that file's presigned URL, so the answer is the same shape
// each time.
func (s *Server) put(sess *session, stmt string) (*queryData, error) {
	m := rePut.FindStringSubmatch(stmt)
	st, p, err := s.stageAt(sess, m[2], m[3], "PUT")
	if err != nil {
		return nil, err
	}
	opts := map[string]string{"AUTO_COMPRESS": "TRUE", "SOURCE_COMPRESSION": "AUTO_DETECT", "OVERWRITE": "FALSE", "PARALLEL": "4"}
	for _, o := range reOption.FindAllStringSubmatch(m[4], -1) {
		opts[strings.ToUpper(o[1])] = strings.Trim(o[2], `'"`)
	}
	parallel, err := strconv.Atoi(opts["PARALLEL"])
	if err != nil || parallel < 1 || parallel > 99 {
		return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: fmt.Sprintf("invalid value [%s] for parameter 'PARALLEL'", opts["PARALLEL"])}
	}
	local := m[1]
	dir := path.Join(st.id, p)
	info := &FileTransfer{
		Command: "UPLOAD", SrcLocations: []string{local}, Parallel: parallel, Threshold: 200 << 20,
		AutoCompress: strings.EqualFold(opts["AUTO_COMPRESS"], "TRUE"), Overwrite: strings.EqualFold(opts["OVERWRITE"], "TRUE"),
		SourceCompression: strings.ToLower(opts["SOURCE_COMPRESSION"]),
		Encryption:        encryptionInfo{QueryStageMasterKey: base64.StdEncoding.EncodeToString(st.key), QueryID: randomToken()[:16], SMKID: st.smkID},
		StageInfo: stageInfo{LocationType: "GCS", Location: gcsBucket + "/" + dir + "/", Path: dir + "/", Region: "US-CENTRAL1",
			IsClientSideEncrypted: true, Creds: map[string]any{},
			PresignedURL: s.presign(path.Join(gcsBucket, dir, path.Base(local)), time.Now().Add(time.Hour))},
	}
	return &queryData{StatementTypeID: typeDDL, FileTransfer: info, RowType: []rowType{{Name: "source", Type: "text"}}}, nil
}

// presign returns a URL that lets its holder PUT one object until it expires.
func (s *Server) presign(object string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	q := url.Values{"X-Goog-Algorithm": {"GOOG4-HMAC-SHA256"}, "X-Goog-Expires": {exp}, "X-Goog-Signature": {s.sign(object, exp)}}
	return fmt.Sprintf("http://%s/gcs/%s?%s", s.addr, object, q.Encode())
}

func (s *Server) sign(object, exp string) string {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte("PUT\n" + object + "\n" + exp))
	return hex.EncodeToString(h.Sum(nil))
}
