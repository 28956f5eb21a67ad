//go:build cgo

package duckdb

import (
	"path/filepath"
	"sync"
)

// DuckDB keeps two processes from writing one file with POSIX locks, but POSIX
// locks belong to a process: two DuckDB instances in one process (two runs the
// web UI launched, each with its own warehouse) both get write access, and one
// instance's checkpoint silently drops the other's tables. claims stand in for
// the lock between the instances of this process: a database file is written
// by at most one Warehouse at a time.
var claims = struct {
	sync.Mutex
	by map[string]*Warehouse // absolute path -> the warehouse writing it
}{by: map[string]*Warehouse{}}

func claimKey(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// claim marks path as written by w; false if another warehouse of this
// process writes it.
func (w *Warehouse) claim(path string) bool {
	claims.Lock()
	defer claims.Unlock()
	k := claimKey(path)
	if holder, ok := claims.by[k]; ok && holder != w {
		return false
	}
	claims.by[k] = w
	return true
}

// release ends w's claim on path, if it holds one.
func (w *Warehouse) release(path string) {
	claims.Lock()
	defer claims.Unlock()
	k := claimKey(path)
	if claims.by[k] == w {
		delete(claims.by, k)
	}
}

// releaseAll ends every claim of w, when it closes.
func (w *Warehouse) releaseAll() {
	claims.Lock()
	defer claims.Unlock()
	for k, holder := range claims.by {
		if holder == w {
			delete(claims.by, k)
		}
	}
}
