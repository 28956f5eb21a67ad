package engine

import (
	"fmt"
	"runtime/debug"
)

// PanicError is a panic inside a node's Compute, turned into that node's failure.
type PanicError struct {
	Value any
	Stack string
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// callCompute runs compute and turns a panic into a *PanicError.
func callCompute(ctx *Context, compute func(*Context) (any, error)) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, &PanicError{Value: p, Stack: string(debug.Stack())}
		}
	}()
	return compute(ctx)
}
