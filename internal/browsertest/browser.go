// Package browsertest drives Debian's Chromium through chromedp for tests of
// the web UI: a headless tab with a fresh profile, its console recorded, and
// waits that always have a deadline.
package browsertest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Ctx is the tab's context, for chromedp actions the helpers do not cover.
func (b *Browser) Ctx() context.Context { return b.ctx }

// Chromium finds Chromium. Without it the browser tests skip, except in CI
// (CI=true), where a missing browser is a failure.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{os.Getenv("ASSETFLOW_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("browser tests: Chromium not found, and CI=true: install it (apt-get install -y chromium) or set ASSETFLOW_CHROMIUM")
	}
	t.Skip("browser tests skipped: Chromium not found (apt-get install -y chromium, or set ASSETFLOW_CHROMIUM); in CI they fail instead")
	return ""
}

// Browser is one headless Chromium tab with its console recorded.
type Browser struct {
	t       testing.TB
	ctx     context.Context
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// New starts Debian's Chromium with a fresh profile; it stops with the test.
func New(t testing.TB) *Browser {
	t.Helper()
	path := Chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &Browser{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		<-done
	})
	return b
}

// Do runs actions with a deadline, failing the test on error.
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v (console: %v)", what, err, b.Errors())
	}
}

// Eval evaluates JavaScript and decodes its value.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("browser: evaluate %s: %v", expr, err)
	}
	return v
}

// WaitJS waits until the JavaScript expression is truthy, at most timeout. It
// evaluates again after errors, so it survives the page navigating meanwhile.
func (b *Browser) WaitJS(what, expr string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatalf("browser: %s: not true within %s: %s (last error %v, console %v)", what, timeout, expr, last, b.Errors())
}

// Input sets a form field's value as typing would, firing its input and
// change events.
func (b *Browser) Input(sel, value string) {
	b.t.Helper()
	v, _ := json.Marshal(value)
	q, _ := json.Marshal(sel)
	Eval[bool](b, `(() => { const e = document.querySelector(`+string(q)+`); e.value = `+string(v)+`;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true })()`)
}

// ForgetConsole drops the messages so far, after a step that logs an error on
// purpose (a refused request).
func (b *Browser) ForgetConsole() {
	b.mu.Lock()
	b.console = nil
	b.mu.Unlock()
}

// Open navigates and waits until the page's script has run.
func (b *Browser) Open(url string) {
	b.t.Helper()
	b.Do("open "+url, chromedp.Navigate(url))
	b.WaitJS("page ready "+url, `document.body && document.body.dataset.ready === "1"`, 20*time.Second)
}

// Errors returns the console errors and exceptions so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.console {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			out = append(out, m.String())
		}
	}
	return out
}

// NoConsoleErrors fails the test if the page logged an error or threw.
func (b *Browser) NoConsoleErrors(where string) {
	b.t.Helper()
	time.Sleep(50 * time.Millisecond) // let the last messages arrive
	if errs := b.Errors(); len(errs) > 0 {
		b.t.Errorf("%s: console errors: %v", where, errs)
	}
}

// T returns the test the browser belongs to.
func (b *Browser) T() testing.TB { return b.t }
