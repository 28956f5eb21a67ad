package sfserver

import "sync/atomic"

// DefaultStageBindThreshold is the CLIENT_STAGE_ARRAY_BINDING_THRESHOLD a real
// account sends at login: an array-bound statement with this many values
// (rows x columns) or more is uploaded to a temporary stage instead of being
// bound inline (gosnowflake bind_uploader.go).
const DefaultStageBindThreshold = 65_280

// DefaultChunkRows is how many rows one result chunk holds. The first chunk is
// answered inline (rowsetBase64); the others are downloaded by the driver from
// chunk URLs, as from a real account's result cache (chunk_downloader.go).
const DefaultChunkRows = 16_384

// resultFormat returns the configured result format.
func (c Config) resultFormat() string {
	if c.JSONResults {
		return "json"
	}
	return "arrow"
}

func (c Config) stageBindThreshold() int {
	if c.StageBindThreshold == 0 {
		return DefaultStageBindThreshold
	}
	return c.StageBindThreshold
}

func (c Config) chunkRows() int {
	if c.ChunkRows <= 0 {
		return DefaultChunkRows
	}
	return c.ChunkRows
}

// Fault is a failure the server can be told to inject, to test how the driver
// and the backend meet it.
type Fault int

// The switchable faults.
const (
	// FaultNoCurrentSchema makes CREATE STAGE fail with 090106, as on a
	// session whose login named a schema that did not exist.
	FaultNoCurrentSchema Fault = iota + 1
	// FaultDropChunkOnce drops the first download of every result chunk
	// (the connection closes with no answer); a retry succeeds.
	FaultDropChunkOnce
	// FaultDropChunkAlways drops every download of result chunks.
	FaultDropChunkAlways
	faultCount
)

// faults holds which faults are on and how often each landed.
type faults struct {
	on     [faultCount]atomic.Bool
	landed [faultCount]atomic.Int64
}

// Inject turns a fault on or off.
func (s *Server) Inject(f Fault, on bool) { s.faults.on[f].Store(on) }

// Landed counts how often a fault really happened.
func (s *Server) Landed(f Fault) int64 { return s.faults.landed[f].Load() }

func (s *Server) faultOn(f Fault) bool { return s.faults.on[f].Load() }

func (s *Server) land(f Fault) { s.faults.landed[f].Add(1) }

// Stats counts what the server did, so tests can tell which path a client
// took.
type Stats struct {
	StageBindInserts int64 // INSERTs whose rows came from a bind stage
	Uploads          int64 // files PUT to a stage through a presigned URL
	CopyLoads        int64 // COPY INTO statements that loaded files
	ArrowAnswers     int64 // query results answered in Arrow
	ChunkDownloads   int64 // result chunks served
}

type stats struct {
	stageBindInserts, uploads, copyLoads, arrowAnswers, chunkDownloads atomic.Int64
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	return Stats{StageBindInserts: s.stats.stageBindInserts.Load(), Uploads: s.stats.uploads.Load(),
		CopyLoads: s.stats.copyLoads.Load(), ArrowAnswers: s.stats.arrowAnswers.Load(), ChunkDownloads: s.stats.chunkDownloads.Load()}
}
