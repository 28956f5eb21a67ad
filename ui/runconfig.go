package ui

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/assetflow/assetflow/engine"
)

// Problem is one thing wrong with a launch, on its line of the run config
// where known (Line 0: not tied to a line).
type Problem struct {
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

var configLine = regexp.MustCompile(`run config line (\d+)`)
var unknownKey = regexp.MustCompile(`unknown key "([^"]*)"`)
var badValue = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*) = `)

// configProblems splits err into problems and places each on the line of the
// config text it is about: the line a parse error names, else the line of the
// node or key a validation problem names.
func configProblems(text string, err error) []Problem {
	if err == nil {
		return nil
	}
	lines := keyLines(text)
	var ve *engine.ValidationErrors
	if errors.As(err, &ve) {
		out := make([]Problem, 0, len(ve.Errs))
		for _, e := range ve.Errs {
			p := Problem{Message: e.Error()}
			var de *engine.DefinitionError
			if errors.As(e, &de) {
				node := de.Subject
				if _, n, ok := strings.Cut(de.Subject, " "); ok {
					node = n
				}
				if de.Subject == "run config" {
					node = de.Value
				}
				p.Line = lines[node]
				m := unknownKey.FindStringSubmatch(de.Detail)
				if m == nil {
					m = badValue.FindStringSubmatch(de.Detail)
				}
				if m != nil && lines[node+"."+m[1]] > 0 {
					p.Line = lines[node+"."+m[1]]
				} else if l := lines[node+".config"]; l > 0 && de.Subject != "run config" {
					p.Line = l
				}
			}
			out = append(out, p)
		}
		return out
	}
	p := Problem{Message: err.Error()}
	if m := configLine.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
	}
	return []Problem{p}
}

// keyLines maps each node of an ops: mapping to its line, "node.config" to
// its config: line and "node.key" to each config key's line.
func keyLines(text string) map[string]int {
	out := map[string]int{}
	var doc yaml.Node
	if yaml.Unmarshal([]byte(text), &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "ops" {
			continue
		}
		opsMap := root.Content[i+1]
		for j := 0; j+1 < len(opsMap.Content); j += 2 {
			name, body := opsMap.Content[j], opsMap.Content[j+1]
			out[name.Value] = name.Line
			for k := 0; k+1 < len(body.Content); k += 2 {
				if body.Content[k].Value != "config" {
					continue
				}
				out[name.Value+".config"] = body.Content[k].Line
				cfg := body.Content[k+1]
				for c := 0; c+1 < len(cfg.Content); c += 2 {
					out[name.Value+"."+cfg.Content[c].Value] = cfg.Content[c].Line
				}
			}
		}
	}
	return out
}

// defaults returns a run config for req with every configurable key of its
// planned nodes at its default value, each key's description as a comment.
func (s *Server) defaults(ctx context.Context, req LaunchRequest) (string, error) {
	plan, err := s.cfg.Plan(ctx, req, engine.RunConfig{})
	if err != nil {
		return "", err
	}
	fields := map[string][]engine.ConfigField{}
	v := s.cfg.Catalog.Describe()
	for _, a := range v.Assets {
		fields[a.Name] = a.Config
	}
	for _, j := range v.Jobs {
		if j.Name == req.Job {
			for _, o := range j.Ops {
				fields[o.Name] = o.Config
			}
		}
	}
	opsMap := &yaml.Node{Kind: yaml.MappingNode}
	for _, n := range plan.Nodes() {
		if len(fields[n]) == 0 {
			continue
		}
		cfg := &yaml.Node{Kind: yaml.MappingNode}
		for _, f := range fields[n] {
			var val yaml.Node
			if err := val.Encode(f.Default); err != nil {
				return "", err
			}
			key := &yaml.Node{Kind: yaml.ScalarNode, Value: f.Name, HeadComment: f.Type}
			if f.Description != "" {
				key.HeadComment = f.Type + ": " + f.Description
			}
			cfg.Content = append(cfg.Content, key, &val)
		}
		opsMap.Content = append(opsMap.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: n},
			&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "config"}, cfg}})
	}
	if len(opsMap.Content) == 0 {
		return "# nothing in this run takes config\n", nil
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "ops"}, opsMap}}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return "", err
	}
	return b.String(), enc.Close()
}
