//go:build cgo

package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// CloneDatabase copies src's file to a temporary file beside it (by reflink where
// the filesystem supports it) and renames it over dst's, so a reader sees the old
// dst or the new one, never a half-made clone.
func (w *Warehouse) CloneDatabase(ctx context.Context, src, dst string) (warehouse.CloneInfo, error) {
	srcPath, err := w.Path(src)
	if err != nil {
		return warehouse.CloneInfo{}, err
	}
	dstPath, err := w.Path(dst)
	if err != nil {
		return warehouse.CloneInfo{}, err
	}
	if strings.EqualFold(src, dst) {
		return warehouse.CloneInfo{}, fmt.Errorf("clone %s onto itself", src)
	}
	if w.readOnly[strings.ToUpper(dst)] {
		return warehouse.CloneInfo{}, fmt.Errorf("clone onto %s: it is read-only here", dst)
	}
	if err := w.checkConfinedWrite(dst); err != nil {
		return warehouse.CloneInfo{}, err
	}
	if !fileExists(srcPath) {
		return warehouse.CloneInfo{}, fmt.Errorf("clone %s: %w", src, ErrNoDatabase)
	}

	lock, err := w.lockName(ctx, dst)
	if err != nil {
		return warehouse.CloneInfo{}, err
	}
	defer lock.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.quiesceLocked(ctx, src, srcPath); err != nil {
		return warehouse.CloneInfo{}, fmt.Errorf("clone %s: %w", src, err)
	}
	removeTemps(w.cfg.Dir, dst)
	tmp := filepath.Join(w.cfg.Dir, "."+dst+".clone-"+randomSuffix()+".tmp")
	info, err := w.copyFile(ctx, src, srcPath, tmp)
	if err != nil {
		os.Remove(tmp)
		return info, fmt.Errorf("clone %s to %s: %w", src, dst, err)
	}
	if err := w.detachLocked(ctx, dst); err != nil {
		os.Remove(tmp)
		return info, err
	}
	// Another process writing dst (an asset run of the same pull request)
	// would go on writing the replaced file and lose its writes unseen: wait
	// for it as DuckDB's own lock says, and hold the lock over the swap.
	if err := w.claimWait(ctx, dst, dstPath); err != nil { // ... or another warehouse of this process
		os.Remove(tmp)
		return info, err
	}
	defer w.release(dstPath)
	held, err := w.lockExisting(ctx, dst, dstPath)
	if err != nil {
		os.Remove(tmp)
		return info, err
	}
	if held != nil {
		defer held.Close()
	}
	if err := os.Remove(dstPath + ".wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		os.Remove(tmp)
		return info, fmt.Errorf("clone %s: %w", dst, err)
	}
	if err := w.writeNote(dst, warehouse.CloneNote{Origin: src, ClonedAt: w.now()}); err != nil {
		os.Remove(tmp)
		return info, fmt.Errorf("clone %s to %s: %w", src, dst, err)
	}
	if err := os.Rename(tmp, dstPath); err != nil {
		os.Remove(tmp)
		return info, fmt.Errorf("clone %s to %s: %w", src, dst, err)
	}
	syncDir(w.cfg.Dir)
	w.cfg.Log.Info().Str("source", src).Str("clone", dst).Str("method", info.Method).Int64("bytes", info.Bytes).Msg("cloned database")
	return info, nil
}

// quiesceLocked makes src's file whole on disk: if this process has it attached
// it is checkpointed and detached; a write-ahead log a crashed process left is
// folded in (where src may be written).
func (w *Warehouse) quiesceLocked(ctx context.Context, src, srcPath string) error {
	if err := w.detachLocked(ctx, src); err != nil {
		return err
	}
	if !fileExists(srcPath + ".wal") {
		return nil
	}
	if w.readOnly[strings.ToUpper(src)] {
		return fmt.Errorf("%s has an unflushed write-ahead log and is read-only here; run any command in prod to fold it in", src)
	}
	if err := w.attachLocked(ctx, src, srcPath, false); err != nil {
		return err
	}
	return w.detachLocked(ctx, src)
}

// copyFile copies src to dst by reflink when possible, else byte by byte, and
// syncs. It holds a shared lock on src meanwhile: DuckDB locks a file it writes
// with the same POSIX locks, so a writer in another process makes the copy wait,
// then fail as busy, and no writer can start until the copy is done.
func (w *Warehouse) copyFile(ctx context.Context, name, src, dst string) (warehouse.CloneInfo, error) {
	in, err := os.Open(src)
	if err != nil {
		return warehouse.CloneInfo{}, err
	}
	defer in.Close()
	if err := w.lockShared(ctx, name, in); err != nil {
		return warehouse.CloneInfo{}, err
	}
	st, err := in.Stat()
	if err != nil {
		return warehouse.CloneInfo{}, err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return warehouse.CloneInfo{}, err
	}
	info := warehouse.CloneInfo{Method: "reflink", Bytes: st.Size()}
	if unix.IoctlFileClone(int(out.Fd()), int(in.Fd())) != nil {
		info.Method = "copy"
		if _, err := io.Copy(out, &ctxReader{ctx: ctx, r: in}); err != nil {
			out.Close()
			return info, err
		}
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return info, err
	}
	return info, out.Close()
}

// lockExisting opens path, if it exists, and takes a POSIX write lock on the
// whole file, as DuckDB takes one while it has the file open for writing; it
// waits up to LockWait. The lock lasts until the returned file is closed.
func (w *Warehouse) lockExisting(ctx context.Context, name, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := w.lockFile(ctx, name, f, unix.F_WRLCK); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// lockShared takes a POSIX read lock on the whole file, waiting up to LockWait.
func (w *Warehouse) lockShared(ctx context.Context, name string, f *os.File) error {
	return w.lockFile(ctx, name, f, unix.F_RDLCK)
}

// lockFile takes a POSIX lock of the type on the whole file, waiting up to LockWait.
func (w *Warehouse) lockFile(ctx context.Context, name string, f *os.File, typ int16) error {
	lock := unix.Flock_t{Type: typ, Whence: 0}
	start := time.Now()
	for wait := 20 * time.Millisecond; ; wait = min(wait*2, time.Second) {
		err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lock)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EACCES) {
			return fmt.Errorf("lock %s: %w", name, err)
		}
		if time.Since(start) >= w.cfg.LockWait {
			return &BusyError{Database: name, Waited: time.Since(start), Cause: err}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// removeTemps deletes temporary clone files a killed process left for dst. Its
// caller holds dst's name lock, so no live clone of dst owns one.
func removeTemps(dir, dst string) {
	matches, _ := filepath.Glob(filepath.Join(dir, "."+dst+".clone-*.tmp"))
	for _, m := range matches {
		os.Remove(m)
	}
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
