package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Setting is one configured value of a resource, for display by `run env` and
// `run list`. A Secret setting is always shown as ***.
type Setting struct {
	Name   string
	Value  string
	Secret bool
}

// Shown returns the value as it may be displayed.
func (s Setting) Shown() string {
	if s.Secret {
		return "***"
	}
	return s.Value
}

// Resource is a keyed, environment-bound dependency such as a warehouse or an API
// client. It is opened lazily, at most once per run and only if a node of the run
// needs it, and closed at the end of the run (also after a failure) when its value
// has a Close() error method.
type Resource struct {
	Description string
	Settings    []Setting
	Requires    []string // keys of resources Open uses through Deps
	Open        func(ctx context.Context, deps Deps) (any, error)
	// Spec is an optional description of what Open would connect to, readable
	// without opening (see ResourceSpec), for dry runs and inspection.
	Spec any
	// Notice, if set, is logged before a run that uses the resource, such as
	// where its data comes from ("items come from the bundled snapshot ...").
	Notice string
}

// Deps gives a resource's Open the resources it requires.
type Deps interface {
	resolve(ctx context.Context, key string) (any, error)
	context() context.Context
}

// ResourceKey names a resource and the Go type its value has, so user code gets a
// typed value without writing a type assertion.
type ResourceKey[T any] struct{ name string }

// Key declares a typed resource key.
func Key[T any](name string) ResourceKey[T] { return ResourceKey[T]{name: name} }

// Name returns the key as used in definitions.
func (k ResourceKey[T]) Name() string { return k.name }

// From returns the opened resource from a node's Context or a resource's Deps.
func (k ResourceKey[T]) From(d Deps) (T, error) {
	var zero T
	v, err := d.resolve(d.context(), k.name)
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("resource %s is a %T, not a %T", k.name, v, zero)
	}
	return t, nil
}

// resourceSet opens a run's resources on demand and closes them at the end.
type resourceSet struct {
	defs    map[string]Resource
	mu      sync.Mutex
	entries map[string]*resourceEntry
	opened  []string // in opening order, closed in reverse
}

type resourceEntry struct {
	once  sync.Mutex
	done  bool
	value any
	err   error
}

func newResourceSet(defs map[string]Resource) *resourceSet {
	return &resourceSet{defs: defs, entries: make(map[string]*resourceEntry)}
}

type resourceDeps struct {
	ctx context.Context
	set *resourceSet
}

func (d resourceDeps) resolve(ctx context.Context, key string) (any, error) {
	return d.set.get(ctx, key)
}
func (d resourceDeps) context() context.Context { return d.ctx }

// get returns the resource, opening it (and what it requires) on first use.
func (s *resourceSet) get(ctx context.Context, key string) (any, error) {
	def, ok := s.defs[key]
	if !ok {
		return nil, fmt.Errorf("resource %s is not bound in this environment", key)
	}
	s.mu.Lock()
	e := s.entries[key]
	if e == nil {
		e = &resourceEntry{}
		s.entries[key] = e
	}
	s.mu.Unlock()

	e.once.Lock()
	defer e.once.Unlock()
	if e.done {
		return e.value, e.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // not opened: a later caller with a live context may open it
	}
	v, err := def.Open(ctx, resourceDeps{ctx: ctx, set: s})
	e.done = true
	if err != nil {
		e.err = fmt.Errorf("open resource %s: %w", key, err)
		return nil, e.err
	}
	e.value = v
	s.mu.Lock()
	s.opened = append(s.opened, key)
	s.mu.Unlock()
	return v, nil
}

// close closes every opened resource in reverse order and joins their errors.
func (s *resourceSet) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for i := len(s.opened) - 1; i >= 0; i-- {
		key := s.opened[i]
		if c, ok := s.entries[key].value.(interface{ Close() error }); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close resource %s: %w", key, err))
			}
		}
	}
	s.opened = nil
	return errors.Join(errs...)
}

// ResourceSpec returns the Spec of a bound resource without opening it.
func ResourceSpec[S any](ctx *Context, key string) (S, error) {
	var zero S
	if ctx.resources == nil {
		return zero, fmt.Errorf("resource %s: this context belongs to no run", key)
	}
	def, ok := ctx.resources.defs[key]
	if !ok {
		return zero, fmt.Errorf("resource %s is not bound in this environment", key)
	}
	s, ok := def.Spec.(S)
	if !ok {
		return zero, fmt.Errorf("resource %s has spec %T, not %T", key, def.Spec, zero)
	}
	return s, nil
}
