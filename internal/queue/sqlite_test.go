package queue_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/assetflow/assetflow/internal/queue"
)

// The embedded queue's file is the path given, taken literally: ?, # and %
// are characters of its folder's name, as they are for the run store.
func TestSQLiteQueuePathIsLiteral(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "we?ird#dir%20")
	path := filepath.Join(dir, "queue.db")
	q, err := queue.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("queue file %s: %v", path, err)
	}
}
