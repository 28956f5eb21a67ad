package cli

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// The new project's files, rendered with [[ ]] delimiters so that GitHub's ${{ }}
// and SQL assets' {{ ref }} stay as they are. A .tmpl suffix keeps the files out of
// this module's build.
//
//go:embed all:scaffold
var scaffold embed.FS

const modulePath = "github.com/assetflow/assetflow"

// scaffoldData fills the templates.
type scaffoldData struct {
	Name, Module, Schema, Group string
	GoVersion, Version          string
	ArrowVersion                string
	Replace                     string
}

var (
	namePattern   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	modulePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~/-]{0,250}$`)
)

func (c *cli) initCmd() *cobra.Command {
	var module, name, replace string
	var noTidy bool
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Create a new assetflow project in DIR: main.go, a Go asset, a SQL asset, their tests, CI workflows",
		Long: `Create a new assetflow project in DIR (which must not exist, or be empty): go.mod
requiring assetflow, main.go with every command (cli.Main), a Go asset reading a bundled
CSV, a SQL asset downstream of it that runs inside the warehouse, their tests using
enginetest, the GitHub and GitLab branch-deployment workflows and a README. Then it runs
go mod tidy (--no-tidy skips it).

It works offline on the embedded warehouse: cd DIR && go run . assets`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return engine.Usagef("init: expected one folder, e.g. %s init myflow", c.app.Name)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := filepath.Clean(args[0])
			if name == "" {
				abs, err := filepath.Abs(dir)
				if err != nil {
					return engine.Usagef("init: %q: %v", dir, err)
				}
				name = strings.ToLower(filepath.Base(abs))
			}
			if !namePattern.MatchString(name) {
				return engine.Usagef("init: project name %q: expected a lower-case letter, then letters, digits, - or _ (set --name)", name)
			}
			if module == "" {
				module = name
			}
			if !modulePattern.MatchString(module) || strings.Contains(module, "..") || strings.HasSuffix(module, "/") {
				return engine.Usagef("init: --module %q: expected a Go module path such as github.com/you/%s", module, name)
			}
			ident := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
			if err := warehouse.CheckIdent("schema", ident); err != nil {
				return engine.Usagef("init: %v (set --name)", err)
			}
			if replace != "" {
				abs, err := filepath.Abs(replace)
				if err != nil {
					return engine.Usagef("--assetflow %q: %v", replace, err)
				}
				if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
					return engine.Usagef("--assetflow %q: no go.mod there: expected a checkout of assetflow", replace)
				}
				if strings.ContainsAny(abs, "\n\r") {
					return engine.Usagef("--assetflow %q: a path with a line break cannot go in go.mod", replace)
				}
				replace = abs
				if strings.ContainsAny(abs, " \t\"'`\\") {
					replace = strconv.Quote(abs) // go.mod's quoted path syntax
				}
			}
			data := scaffoldData{Name: name, Module: module, Schema: ident, Group: strings.ToLower(ident),
				GoVersion: goVersion(), Version: frameworkVersion(), ArrowVersion: depVersion("github.com/apache/arrow/go/v15", "v15.0.2"),
				Replace: replace}
			if err := writeScaffold(dir, data); err != nil {
				return err
			}
			c.printf("created %s (module %s, schema %s)\n", dir, module, ident)
			if !noTidy {
				tidy := exec.CommandContext(cmd.Context(), "go", "mod", "tidy")
				tidy.Dir, tidy.Stdout, tidy.Stderr = dir, c.stderr, c.stderr
				if err := tidy.Run(); err != nil {
					fmt.Fprintf(c.stderr, "%s: go mod tidy in %s failed (%v): run it there yourself", c.app.Name, dir, err)
					if replace == "" {
						fmt.Fprintf(c.stderr, "; to build against a local checkout of assetflow: go mod edit -replace %s=/path/to/assetflow", modulePath)
					}
					fmt.Fprintln(c.stderr)
				}
			}
			c.printf("next: cd %s && go run . assets && go test ./...\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&module, "module", "", "the new project's Go module path (default: the project name)")
	cmd.Flags().StringVar(&name, "name", "", "the project's command name (default: DIR's base name)")
	cmd.Flags().StringVar(&replace, "assetflow", "", "build against this local checkout of assetflow (a replace directive in go.mod)")
	cmd.Flags().BoolVar(&noTidy, "no-tidy", false, "do not run go mod tidy")
	return cmd
}

// writeScaffold renders every template into a temporary folder beside dir and
// renames it into place, so a new dir is either whole or absent. An existing
// empty dir (such as ".") receives the rendered entries one by one.
func writeScaffold(dir string, data scaffoldData) error {
	exists := false
	if entries, err := os.ReadDir(dir); err == nil {
		if len(entries) > 0 {
			return engine.Usagef("init: %s already exists and is not empty: choose a new folder", dir)
		}
		exists = true
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("init: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	dir = abs
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".init-*")
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	defer os.RemoveAll(tmp) // after the rename, nothing is left to remove
	err = fs.WalkDir(scaffold, "scaffold", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, "scaffold/"), ".tmpl")
		text, err := scaffold.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(path.Base(p)).Delims("[[", "]]").Option("missingkey=error").Parse(string(text))
		if err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		var out bytes.Buffer
		if err := t.Execute(&out, data); err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		target := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, out.Bytes(), 0o644)
	})
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if exists {
		entries, err := os.ReadDir(tmp)
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
		for _, e := range entries {
			if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("init: %w", err)
			}
		}
		return nil
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	return nil
}

// goVersion is the go directive for the new module: this toolchain's version.
func goVersion() string {
	v := strings.TrimPrefix(runtime.Version(), "go")
	if regexp.MustCompile(`^\d+\.\d+(\.\d+)?$`).MatchString(v) {
		return v
	}
	return "1.26"
}

// frameworkVersion is the assetflow version this binary was built from, when it
// is a released one; otherwise a placeholder that --assetflow or a replace
// directive stands in for.
func frameworkVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == modulePath && cleanVersion(bi.Main.Version) {
			return bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == modulePath && cleanVersion(d.Version) {
				return d.Version
			}
		}
	}
	return "v0.0.0-00010101000000-000000000000"
}

// depVersion is the version of a module this binary was built with.
func depVersion(path, fallback string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path && cleanVersion(d.Version) {
				return d.Version
			}
		}
	}
	return fallback
}

func cleanVersion(v string) bool {
	return strings.HasPrefix(v, "v") && !strings.Contains(v, "+") && v != "(devel)"
}
