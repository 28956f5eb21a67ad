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
//
// Inside a run a resource is shared by every node, so it opens under the run's
// context (openCtx), never under the context of the node that happened to ask
// first: that node's timeout or failure must not leave a failed open cached for
// the others. Each caller waits for the open only as long as its own context
// lives. Outside a run (openCtx nil) the single caller's context is used.
type resourceSet struct {
	defs    map[string]Resource
	openCtx context.Context // the run's context; nil outside a run
	opening sync.WaitGroup  // opens still in flight, waited for by close
	mu      sync.Mutex
	entries map[string]*resourceEntry
	opened  []string // in opening order, closed in reverse
}

type resourceEntry struct {
	ready chan struct{} // closed once Open has returned; value and err are then set
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

// get returns the resource, opening it (and what it requires) on first use. It
// returns early with ctx's error when ctx ends first; the open itself goes on
// under the run's context, and its result serves the next caller.
func (s *resourceSet) get(ctx context.Context, key string) (any, error) {
	def, ok := s.defs[key]
	if !ok {
		return nil, fmt.Errorf("resource %s is not bound in this environment", key)
	}
	s.mu.Lock()
	e := s.entries[key]
	if e == nil {
		if err := ctx.Err(); err != nil {
			s.mu.Unlock()
			return nil, err // not opened: a later caller with a live context may open it
		}
		e = &resourceEntry{ready: make(chan struct{})}
		s.entries[key] = e
		if s.openCtx == nil {
			s.mu.Unlock()
			s.open(ctx, key, def, e)
			return e.value, e.err
		}
		s.opening.Add(1)
		go func(openCtx context.Context) {
			defer s.opening.Done()
			s.open(openCtx, key, def, e)
		}(s.openCtx)
	}
	s.mu.Unlock()
	select {
	case <-e.ready:
		return e.value, e.err
	default:
	}
	select {
	case <-e.ready:
		return e.value, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// open runs the resource's Open under ctx and publishes the result in e.
func (s *resourceSet) open(ctx context.Context, key string, def Resource, e *resourceEntry) {
	defer close(e.ready)
	v, err := def.Open(ctx, resourceDeps{ctx: ctx, set: s})
	if err != nil {
		e.err = fmt.Errorf("open resource %s: %w", key, err)
		return
	}
	e.value = v
	s.mu.Lock()
	s.opened = append(s.opened, key)
	s.mu.Unlock()
}

// close closes every opened resource in reverse order and joins their errors.
func (s *resourceSet) close() error {
	s.opening.Wait()
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
