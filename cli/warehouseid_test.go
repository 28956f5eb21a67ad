package cli

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Processes that read a new warehouse folder's id at once all read the same
// one; a folder of its own has another; a link, or a file that is not an id,
// is refused by name.
func TestWarehouseFolderID(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wh")
	ids := make([]string, 16)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := folderID(dir)
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || len(id) != 32 {
			t.Fatalf("ids %v", ids)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, warehouseIDFile)); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("id file: %v %v", st, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, warehouseIDFile+".*")); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	other, err := folderID(filepath.Join(t.TempDir(), "wh"))
	if err != nil || other == ids[0] {
		t.Fatalf("another folder: %q %v", other, err)
	}

	linked := filepath.Join(t.TempDir(), "wh")
	os.MkdirAll(linked, 0o755)
	if err := os.Symlink(filepath.Join(dir, warehouseIDFile), filepath.Join(linked, warehouseIDFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := folderID(linked); err == nil || !strings.Contains(err.Error(), "not the warehouse's id file") {
		t.Errorf("a linked id file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "wh")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, warehouseIDFile), []byte("hello\n"), 0o644)
	if _, err := folderID(bad); err == nil || !strings.Contains(err.Error(), "does not hold a warehouse id") {
		t.Errorf("a file that is not an id: %v", err)
	}
}
