package testhygiene

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// upperBound matches an assertion that something took at most a wall-clock
// limit: a duration measured since a start, compared with a limit (see the
// patterns below). On a shared machine that is five times slower such a test
// fails without a bug. Benchmarks are allowed; tests check computed waits or
// catch hangs with generous deadlines instead.
var upperBound = []*regexp.Regexp{
	regexp.MustCompile(`(\w+)\s*:=\s*time\.Since\([^)]*\)\s*;\s*(\w+)\s*>`),
	regexp.MustCompile(`time\.Since\([^)]*\)\s*>=?`),
	regexp.MustCompile(`\b(took|elapsed)\s*>=?\s*[\w(]`),
}

func TestNoElapsedTimeAssertions(t *testing.T) {
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "bench_test.go") || strings.HasSuffix(path, "elapsed_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			for _, re := range upperBound {
				if m := re.FindStringSubmatch(line); m != nil && (len(m) < 3 || m[1] == m[2]) {
					found = append(found, path+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("elapsed-time upper bound in a test (use a deadline that only catches a hang): %s", f)
	}
}
