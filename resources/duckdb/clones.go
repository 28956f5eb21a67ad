//go:build cgo

package duckdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// noteExt ends the sidecar file in which a clone records its origin and time.
const noteExt = ".clone.json"

func (w *Warehouse) now() time.Time {
	if w.cfg.Now != nil {
		return w.cfg.Now().UTC()
	}
	return time.Now().UTC()
}

// writeNote records a clone's origin beside its file, atomically.
func (w *Warehouse) writeNote(db string, note warehouse.CloneNote) error {
	path := filepath.Join(w.cfg.Dir, db+noteExt)
	b, err := json.Marshal(note)
	if err != nil {
		return err
	}
	tmp := path + ".tmp-" + randomSuffix()
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// RecordClone writes a clone's note, as the Snowflake test double does when told
// COMMENT ON DATABASE.
func (w *Warehouse) RecordClone(db string, note warehouse.CloneNote) error {
	if _, err := w.Path(db); err != nil {
		return err
	}
	return w.writeNote(db, note)
}

// ListClones returns every database named PRODUCTION_CLONE_<id>, with its note
// and file size.
func (w *Warehouse) ListClones(ctx context.Context) ([]warehouse.CloneRecord, error) {
	names, err := w.ListDatabases(ctx)
	if err != nil {
		return nil, err
	}
	var out []warehouse.CloneRecord
	for _, name := range names {
		id, ok := warehouse.PRIDOf(name)
		if !ok {
			continue
		}
		rec := warehouse.CloneRecord{Name: name, PRID: id, Bytes: -1}
		if st, err := os.Stat(filepath.Join(w.cfg.Dir, name+fileExt)); err == nil {
			rec.Bytes = st.Size()
		}
		b, err := os.ReadFile(filepath.Join(w.cfg.Dir, name+noteExt))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("clone note of %s: %w", name, err)
		default:
			var note warehouse.CloneNote
			if json.Unmarshal(b, &note) == nil {
				rec.Origin, rec.ClonedAt = note.Origin, note.ClonedAt
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

// lockName takes an exclusive lock on a database's name across processes, for
// making or dropping it: two clone_prod runs for one pull request take turns,
// and only the holder may remove temporary files of that name. It waits until
// the lock is free or ctx ends; the lock file stays, as removing it would let
// a waiter lock a file no one else sees.
func (w *Warehouse) lockName(ctx context.Context, name string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(w.cfg.Dir, "."+name+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	logged := false
	for wait := 10 * time.Millisecond; ; wait = min(wait*2, 500*time.Millisecond) {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if !logged {
			w.cfg.Log.Info().Str("database", name).Msg("waiting for another process making or dropping this database")
			logged = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}
