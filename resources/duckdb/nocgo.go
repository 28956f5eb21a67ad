//go:build !cgo

// The embedded DuckDB warehouse is DuckDB's C library linked through cgo, so
// assetflow builds only with cgo enabled and a C compiler installed:
//
//	apt-get install gcc     (or your platform's C compiler)
//	CGO_ENABLED=1 go build ./...
//
// Without cgo (CGO_ENABLED=0, or no gcc on PATH, which makes Go turn cgo off)
// this file is compiled instead of the backend, and the build stops on the line
// below with a message that says so, rather than with "build constraints
// exclude all Go files" deep inside duckdb-go-bindings.

package duckdb

var _ = assetflow_needs_cgo__install_gcc_and_build_with_CGO_ENABLED_1
