package sfserver

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// countingReader counts the bytes pulled through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// A staged gzip file that inflates past the cap is refused, and inflating
// stops at the cap instead of filling memory; one within it reads whole.
func TestStagedGzipIsCapped(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := zw.Write(make([]byte, 8<<20)); err != nil { // 8 MiB of zeros: a few KiB compressed
		t.Fatal(err)
	}
	zw.Close()
	zr, err := gzip.NewReader(bytes.NewReader(z.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	inflated := &countingReader{r: zr}
	if _, err := readCapped(inflated, 1<<20); err == nil || !strings.Contains(err.Error(), "inflates to more than 1048576 bytes") {
		t.Fatalf("bomb: %v", err)
	}
	if inflated.n > 1<<20+1 {
		t.Fatalf("inflated %d bytes past a cap of 1 MiB", inflated.n)
	}
	zr, _ = gzip.NewReader(bytes.NewReader(z.Bytes()))
	if data, err := readCapped(zr, 8<<20); err != nil || len(data) != 8<<20 {
		t.Fatalf("within the cap: %d bytes, %v", len(data), err)
	}
}
