package testhygiene

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Built without cgo (CGO_ENABLED=0, or no gcc), the build fails with a message
// that names cgo and gcc, not "build constraints exclude all Go files".
func TestBuildWithoutCgoNamesCgoAndGcc(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command without cgo")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // catches a hang only
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", os.DevNull, "./cmd/run")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("the command built without cgo; the embedded warehouse cannot work that way")
	}
	msg := string(out)
	for _, want := range []string{"cgo", "gcc", "CGO_ENABLED_1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure does not name %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "build constraints exclude all Go files") {
		t.Errorf("the failure is still the bindings' build-constraint error:\n%s", msg)
	}
}
