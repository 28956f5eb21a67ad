//go:build cgo

package duckdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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
	temps, err := w.temps()
	if err != nil {
		return nil, err
	}
	for name := range temps { // a clone killed before its first rename has only a temporary file
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var out []warehouse.CloneRecord
	for _, name := range names {
		id, ok := warehouse.PRIDOf(name)
		if !ok {
			continue
		}
		rec := warehouse.CloneRecord{Name: name, PRID: id, Bytes: -1}
		for _, size := range temps[name] {
			rec.TempBytes += size
		}
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

// nameLock is an exclusive lock on a database's name across processes.
type nameLock struct {
	f    *os.File
	path string
}

// Unlock releases the lock; the lock file stays for the next maker.
func (l *nameLock) Unlock() { unix.Flock(int(l.f.Fd()), unix.LOCK_UN); l.f.Close() }

// UnlockAndRemove removes the lock file, then releases the lock, so dropped
// databases leave no lock files behind. A waiter that then gets the lock of
// the removed file notices and locks the path afresh (see lockName).
func (w *Warehouse) unlockAndRemove(l *nameLock) {
	os.Remove(l.path)
	l.Unlock()
}

// lockName takes an exclusive lock on a database's name across processes, for
// making or dropping it: two clone_prod runs for one pull request take turns,
// and only the holder may remove temporary files of that name. It waits until
// the lock is free or ctx ends. A lock whose file was removed meanwhile (by a
// drop) guards nothing, so it is dropped and the path locked again.
func (w *Warehouse) lockName(ctx context.Context, name string) (*nameLock, error) {
	return w.lockNameWait(ctx, name, true)
}

// lockNameWait is lockName; without wait, a held lock is (nil, nil) at once.
func (w *Warehouse) lockNameWait(ctx context.Context, name string, wait bool) (*nameLock, error) {
	path := filepath.Join(w.cfg.Dir, "."+name+".lock")
	logged := false
	for pause := 10 * time.Millisecond; ; pause = min(pause*2, 500*time.Millisecond) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			held, herr := f.Stat()
			now, nerr := os.Stat(path)
			if herr == nil && nerr == nil && os.SameFile(held, now) {
				return &nameLock{f: f, path: path}, nil
			}
			f.Close() // removed or replaced while we waited: lock the path again
			continue
		}
		f.Close()
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if !wait {
			return nil, nil
		}
		if !logged {
			w.cfg.Log.Info().Str("database", name).Msg("waiting for another process making or dropping this database")
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
	}
}

// tempPattern matches the temporary file of a clone being made: .<db>.clone-<suffix>.tmp.
var tempPattern = regexp.MustCompile(`^\.(` + warehouse.ClonePrefix + `[0-9]+)\.clone-[0-9a-f]+\.tmp$`)

// temps returns the temporary clone files in the folder, by database name,
// with their sizes.
func (w *Warehouse) temps() (map[string]map[string]int64, error) {
	entries, err := os.ReadDir(w.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("list temporary files: %w", err)
	}
	out := map[string]map[string]int64{}
	for _, e := range entries {
		m := tempPattern.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if out[m[1]] == nil {
			out[m[1]] = map[string]int64{}
		}
		out[m[1]][filepath.Join(w.cfg.Dir, e.Name())] = info.Size()
	}
	return out, nil
}

// RemoveStaleTemps removes the temporary files of clones that are not being
// made now: for each name it tries the name's lock without waiting; a live
// clone holds it, so its file is left alone.
func (w *Warehouse) RemoveStaleTemps(ctx context.Context) (int64, error) {
	temps, err := w.temps()
	if err != nil {
		return 0, err
	}
	var freed int64
	for name, files := range temps {
		if !w.writableHere(name) {
			continue
		}
		l, err := w.lockNameWait(ctx, name, false)
		if err != nil {
			return freed, err
		}
		if l == nil {
			continue // a clone of this name is running
		}
		for path, size := range files {
			if os.Remove(path) == nil {
				freed += size
			}
		}
		if !fileExists(filepath.Join(w.cfg.Dir, name+fileExt)) {
			w.unlockAndRemove(l)
		} else {
			l.Unlock()
		}
	}
	return freed, nil
}

// writableHere reports whether this warehouse may make or drop the database.
func (w *Warehouse) writableHere(name string) bool {
	return !w.readOnly[strings.ToUpper(name)] && w.checkConfinedWrite(name) == nil
}
