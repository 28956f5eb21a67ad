package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/assetflow/assetflow/engine"
)

// maxConfigBytes bounds a --config file. A run config is a few lines of YAML; a
// larger file is a mistake (or /dev/zero), and reading it whole could exhaust
// memory.
const maxConfigBytes = 1 << 20

// readConfigFile reads a --config file: a regular file of at most
// maxConfigBytes, read under ctx so an interrupt ends a read that blocks. A FIFO,
// device, socket or directory is refused before anything is read from it.
func readConfigFile(ctx context.Context, path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, engine.Usagef("--config: %v", err)
	}
	if err := regularConfig(path, info); err != nil {
		return nil, err
	}
	// O_NONBLOCK: should the path turn into a FIFO after the check, opening it
	// does not wait for a writer; the check below then refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, engine.Usagef("--config: %v", err)
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, engine.Usagef("--config: %v", err)
	}
	if err := regularConfig(path, info); err != nil {
		return nil, err
	}
	type read struct {
		data []byte
		err  error
	}
	done := make(chan read, 1)
	go func() {
		data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
		done <- read{data, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, engine.Usagef("--config %s: %v", path, r.err)
		}
		if len(r.data) > maxConfigBytes {
			return nil, tooLarge(path)
		}
		return r.data, nil
	case <-ctx.Done():
		_ = f.Close() // ends the read; the goroutine then returns
		return nil, fmt.Errorf("--config %s: reading stopped: %w", path, ctx.Err())
	}
}

// regularConfig refuses anything but a regular file of bounded size.
func regularConfig(path string, info fs.FileInfo) error {
	m := info.Mode()
	if !m.IsRegular() {
		what := "not a regular file"
		switch {
		case m.IsDir():
			what = "a directory"
		case m&fs.ModeNamedPipe != 0:
			what = "a named pipe (FIFO)"
		case m&fs.ModeCharDevice != 0, m&fs.ModeDevice != 0:
			what = "a device"
		case m&fs.ModeSocket != 0:
			what = "a socket"
		}
		return engine.Usagef("--config %s is %s: expected a YAML file", path, what)
	}
	if info.Size() > maxConfigBytes {
		return tooLarge(path)
	}
	return nil
}

func tooLarge(path string) error {
	return engine.Usagef("--config %s is larger than %d KiB: a run config is a short YAML file (ops: <node>: config: <key>: <value>)", path, maxConfigBytes>>10)
}
