package duckdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// LinkedFileError is a database file that is not a plain file of its own: a
// symbolic link, a file with more than one hard link, or production's file under
// another name. Writes through it could land in another database, so it is
// never opened.
type LinkedFileError struct {
	Database string
	Path     string
	Found    string // what the file turned out to be
}

func (e *LinkedFileError) Error() string {
	fix := "put the database file itself there"
	if strings.HasPrefix(e.Database, warehouse.ClonePrefix) {
		fix = "remove that file and run clone_prod again"
	}
	return fmt.Sprintf("refused: the file of database %s (%s) is %s; %s", e.Database, e.Path, e.Found, fix)
}

// checkFile refuses a database file that is a link or is production's file.
func (w *Warehouse) checkFile(name, path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("database %s: %w", name, err)
	}
	found := ""
	switch {
	case st.Mode()&os.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		found = "a symbolic link to " + strconv.Quote(target)
	case !st.Mode().IsRegular():
		found = "not a regular file (" + st.Mode().Type().String() + ")"
	case linkCount(st) > 1:
		found = fmt.Sprintf("a hard link (%d names share that file)", linkCount(st))
	case !strings.EqualFold(name, warehouse.Production):
		if prod, err := os.Stat(w.productionPath()); err == nil && os.SameFile(st, prod) {
			found = "the same file as " + warehouse.Production + "'s"
		}
	}
	if found != "" {
		return &LinkedFileError{Database: name, Path: path, Found: found}
	}
	return nil
}

// checkOpened runs after DuckDB opened a database other than production for
// writing: it looks at the files this process really holds open and refuses if
// one of them is production's file opened for writing, which a file swapped in
// between checkFile and the open would give.
func (w *Warehouse) checkOpened(name, path string) error {
	if strings.EqualFold(name, warehouse.Production) {
		return nil
	}
	if readOnly, open := w.attached[warehouse.Production]; open && !readOnly {
		return nil // this process writes production itself (local, prod)
	}
	prod, err := os.Stat(w.productionPath())
	if err != nil {
		return nil
	}
	if writableHandle(prod) {
		return &LinkedFileError{Database: name, Path: path, Found: "production's file once opened"}
	}
	return nil
}

func (w *Warehouse) productionPath() string {
	return filepath.Join(w.cfg.Dir, warehouse.Production+fileExt)
}

// writableHandle reports whether this process holds the file open for writing.
// It reads /proc/self/fd, so it answers only on Linux (false elsewhere).
func writableHandle(target os.FileInfo) bool {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return false
	}
	for _, fd := range fds {
		st, err := os.Stat("/proc/self/fd/" + fd.Name())
		if err != nil || !os.SameFile(st, target) {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + fd.Name())
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			v, ok := strings.CutPrefix(line, "flags:")
			if !ok {
				continue
			}
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			if err == nil && flags&syscall.O_ACCMODE != syscall.O_RDONLY {
				return true
			}
		}
	}
	return false
}

func linkCount(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Nlink)
	}
	return 1
}
