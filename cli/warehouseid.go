package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
)

// warehouseIDFile holds the embedded warehouse folder's id, beside its
// database files.
const warehouseIDFile = ".assetflow-warehouse-id"

// warehouseIdentity names the warehouse a queued run reads and writes, so
// that a worker can tell whether it reaches the same one: Snowflake by
// account and database; the embedded warehouse by an id kept in its folder,
// which every machine that mounts that folder reads alike and a machine with
// a folder of its own does not. "" is a project that binds no warehouse.
func warehouseIdentity(spec resources.WarehouseSpec) (string, error) {
	switch spec.Backend {
	case "":
		return "", nil
	case "duckdb":
		id, err := folderID(spec.Location)
		if err != nil {
			return "", fmt.Errorf("warehouse folder %s: %w", spec.Location, err)
		}
		return "duckdb folder " + id + " database " + spec.Database, nil
	default:
		return spec.Backend + " " + spec.Location + " database " + spec.Database, nil
	}
}

// folderID reads the folder's id, creating it once: written aside, then
// linked into place, so of two processes that create it at once both read the
// one that won. A link or anything but a short regular file is refused.
func folderID(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, warehouseIDFile)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		tmp, err := os.CreateTemp(dir, warehouseIDFile+".*")
		if err != nil {
			return "", err
		}
		_, werr := tmp.WriteString(hex.EncodeToString(b) + "\n")
		merr := tmp.Chmod(0o644) // workers of other users on a shared folder read it too
		cerr := tmp.Close()
		if err := errors.Join(werr, merr, cerr); err != nil {
			os.Remove(tmp.Name())
			return "", err
		}
		err = os.Link(tmp.Name(), path)
		os.Remove(tmp.Name())
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	st, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() || st.Size() > 64 {
		return "", fmt.Errorf("%s is not the warehouse's id file (a link, or not a short file): move it aside", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 65))
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(data))
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%s does not hold a warehouse id: move it aside", path)
	}
	return id, nil
}

// sameWarehouse refuses a queued run whose warehouse is not the one this
// worker reaches.
func sameWarehouse(runID, want, here string) error {
	if want == here {
		return nil
	}
	return engine.Usagef("run %s writes %s, but this worker reaches %s: start workers where the run's warehouse is (the same folder, shared, or the same Snowflake account), or queue runs from there",
		runID, dash(want), dash(here))
}
