package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ConfigSchema is a node's typed configuration: a struct type with defaults. Build
// one with ConfigOf; read the decoded value in Compute with Config.
type ConfigSchema interface {
	// Fields describes the configurable keys, for `run graph` and validation.
	Fields() []ConfigField
	// Decode returns the defaults overlaid with values, or an error naming the
	// first unknown key or mistyped value.
	Decode(values map[string]any) (any, error)
}

// ConfigField describes one key of a config struct.
type ConfigField struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Default     any    `json:"default"`
	Description string `json:"description,omitempty"`
}

// ConfigValidator is implemented by config structs that check their own values
// (for example, that a count is positive) after decoding.
type ConfigValidator interface {
	Validate() error
}

// ConfigOf declares a config of struct type C with the given defaults. Keys are the
// fields' yaml tags (or lower-cased names); a `doc` tag describes a field.
func ConfigOf[C any](defaults C) ConfigSchema {
	t := reflect.TypeOf(defaults)
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("engine.ConfigOf: %T is not a struct", defaults))
	}
	return &structConfig[C]{defaults: defaults, fields: configFields(t, reflect.ValueOf(defaults))}
}

type structConfig[C any] struct {
	defaults C
	fields   []structField
}

type structField struct {
	ConfigField
	index int
}

func configFields(t reflect.Type, v reflect.Value) []structField {
	var out []structField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, structField{
			ConfigField: ConfigField{Name: name, Type: f.Type.String(), Default: v.Field(i).Interface(),
				Description: f.Tag.Get("doc")},
			index: i,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (c *structConfig[C]) Fields() []ConfigField {
	out := make([]ConfigField, len(c.fields))
	for i, f := range c.fields {
		out[i] = f.ConfigField
	}
	return out
}

func (c *structConfig[C]) Decode(values map[string]any) (any, error) {
	cfg := c.defaults
	v := reflect.ValueOf(&cfg).Elem()
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		f, ok := c.field(key)
		if !ok {
			return nil, &configKeyError{key: key, known: c.names()}
		}
		fieldType := v.Field(f.index).Type()
		if values[key] == nil {
			return nil, fmt.Errorf("%s is empty: expected %s", key, plainType(fieldType))
		}
		raw, err := yaml.Marshal(values[key])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		target := reflect.New(fieldType)
		if err := yaml.Unmarshal(raw, target.Interface()); err != nil || truncated(values[key], target.Elem()) {
			return nil, fmt.Errorf("%s = %s: expected %s", key, shownValue(values[key], raw), plainType(fieldType))
		}
		v.Field(f.index).Set(target.Elem())
	}
	if val, ok := any(&cfg).(ConfigValidator); ok {
		if err := val.Validate(); err != nil {
			return nil, err
		}
	} else if val, ok := any(cfg).(ConfigValidator); ok {
		if err := val.Validate(); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// shownValue renders a config value for an error on one line: a scalar as
// written, a list or mapping as compact JSON, text with a line break quoted; all
// cut short.
func shownValue(value any, raw []byte) string {
	text := strings.TrimSpace(string(raw))
	switch v := value.(type) {
	case string:
		text = v
	case []any, map[string]any:
		if j, err := json.Marshal(v); err == nil {
			text = string(j)
		}
	}
	if len(text) > 60 {
		text = text[:57] + "..."
	}
	if text == "" || text != strings.TrimSpace(text) || oneLine(text) != text {
		return strconv.Quote(text)
	}
	return text
}

// oneLine returns s as written, or quoted when it holds a line break or other
// control character, so an error that shows it stays on one line.
func oneLine(s string) string {
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return strconv.Quote(s)
		}
	}
	return s
}

// plainType names a config field's type in words, not Go's type names.
func plainType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(plainType(t.Elem()), "a "), "an ") + "s"
	case reflect.Map, reflect.Struct:
		return "a mapping of keys to values"
	}
	return t.String()
}

// truncated reports a fractional number decoded into an integer, which yaml
// accepts by dropping the fraction.
func truncated(value any, target reflect.Value) bool {
	f, isFloat := value.(float64)
	switch target.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return isFloat && f != float64(int64(f))
	}
	return false
}

func (c *structConfig[C]) field(name string) (structField, bool) {
	for _, f := range c.fields {
		if f.Name == name {
			return f, true
		}
	}
	return structField{}, false
}

func (c *structConfig[C]) names() []string {
	names := make([]string, len(c.fields))
	for i, f := range c.fields {
		names[i] = f.Name
	}
	return names
}

type configKeyError struct {
	key   string
	known []string
}

func (e *configKeyError) Error() string {
	if len(e.known) == 0 {
		return fmt.Sprintf("unknown key %q: this node takes no config", e.key)
	}
	return fmt.Sprintf("unknown key %q: expected one of %s", e.key, strings.Join(e.known, ", "))
}

// Config returns the node's decoded config. C must be the type given to ConfigOf;
// otherwise, or when ctx holds no config (a bare &Context{} in a test), it returns
// an error naming both types.
func Config[C any](ctx *Context) (C, error) {
	var zero C
	if ctx == nil {
		return zero, fmt.Errorf("no context: config %T is unavailable", zero)
	}
	c, ok := ctx.config.(C)
	if !ok {
		if ctx.config == nil {
			return zero, fmt.Errorf("node %q has no config (want %T)", ctx.Node, zero)
		}
		return zero, fmt.Errorf("node %s has config %T, not %T", ctx.Node, ctx.config, zero)
	}
	return c, nil
}

// RunConfig is the per-run configuration of nodes: node name -> key -> value.
type RunConfig map[string]map[string]any

// With returns rc changed by over: each key over sets replaces rc's for that
// node; the rest of rc stays. Neither is modified.
func (rc RunConfig) With(over RunConfig) RunConfig {
	out := RunConfig{}
	for _, src := range []RunConfig{rc, over} {
		for node, keys := range src {
			if out[node] == nil {
				out[node] = map[string]any{}
			}
			for k, v := range keys {
				out[node][k] = v
			}
		}
	}
	return out
}

// ParseRunConfig reads run config in Dagster's shape:
//
//	ops:
//	  items:
//	    config:
//	      base_item_id: 50
//
// A malformed file is one error naming the line and what was expected.
func ParseRunConfig(data []byte) (RunConfig, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("run config: %s", firstLine(err.Error()))
	}
	rc := RunConfig{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return rc, nil // an empty file
	}
	root := doc.Content[0]
	const shape = "ops: <node>: config: <key>: <value>"
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("run config line %d: expected %s", root.Line, shape)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, ops := root.Content[i], root.Content[i+1]
		if key.Value != "ops" {
			return nil, fmt.Errorf("run config line %d: unknown key %q: expected %s", key.Line, key.Value, shape)
		}
		if ops.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("run config line %d: ops: expected a mapping of node names", ops.Line)
		}
		for j := 0; j+1 < len(ops.Content); j += 2 {
			name, node := ops.Content[j], ops.Content[j+1]
			if node.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("run config line %d: ops: %s: expected config: <key>: <value>", node.Line, oneLine(name.Value))
			}
			values := map[string]any{}
			for k := 0; k+1 < len(node.Content); k += 2 {
				field, cfg := node.Content[k], node.Content[k+1]
				if field.Value != "config" {
					return nil, fmt.Errorf("run config line %d: ops: %s: unknown key %q: expected config", field.Line, oneLine(name.Value), field.Value)
				}
				if cfg.Kind != yaml.MappingNode {
					return nil, fmt.Errorf("run config line %d: ops: %s: config: expected <key>: <value> pairs", cfg.Line, oneLine(name.Value))
				}
				if err := cfg.Decode(&values); err != nil {
					return nil, fmt.Errorf("run config line %d: ops: %s: config: %s", cfg.Line, oneLine(name.Value), firstLine(err.Error()))
				}
			}
			rc[name.Value] = values
		}
	}
	return rc, nil
}

func firstLine(s string) string {
	s = strings.TrimPrefix(s, "yaml: ")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Set applies one NODE.KEY=VALUE assignment, the value read as a YAML scalar.
func (rc RunConfig) Set(assignment string) error {
	path, value, ok := strings.Cut(assignment, "=")
	node, key, okDot := strings.Cut(path, ".")
	if !ok || !okDot || node == "" || key == "" {
		return Usagef("%q: expected NODE.KEY=VALUE", assignment)
	}
	var v any
	if err := yaml.Unmarshal([]byte(value), &v); err != nil {
		v = value
	}
	if rc[node] == nil {
		rc[node] = map[string]any{}
	}
	rc[node][key] = v
	return nil
}
