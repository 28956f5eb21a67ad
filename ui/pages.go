package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
	"github.com/assetflow/assetflow/resources/clones"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages holds one parsed template set per page, each with the shared base.
type pages struct {
	sets map[string]*template.Template
}

var funcs = template.FuncMap{
	"ago":  ago,
	"dur":  formatDuration,
	"clip": clipLabel,
	"size": clones.FormatSize,
	"age": func(d time.Duration, at time.Time) string {
		if at.IsZero() {
			return "-"
		}
		return clones.FormatAge(d)
	},
}

func loadPages() (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}}
	for _, name := range []string{"assets", "asset", "runs", "run", "jobs", "launchpad", "clones", "env", "error"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/base.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", name, err)
		}
		p.sets[name] = t
	}
	return p, nil
}

// page is what every page template gets.
type page struct {
	Title    string
	Page     string
	CSRF     string
	ReadOnly bool
	Env      string
}

func (s *Server) page(title, name string) page {
	return page{Title: title, Page: name, CSRF: s.csrf, ReadOnly: s.cfg.ReadOnly, Env: s.cfg.Catalog.Env()}
}

// render executes a page into a buffer first, so a template error never sends
// half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.sets[name].ExecuteTemplate(&buf, "base", data); err != nil {
		s.cfg.Log.Error().Err(err).Str("page", name).Msg("ui: rendering a page")
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorPage struct {
	page
	Message string
}

func (s *Server) renderError(w http.ResponseWriter, status int, title, format string, args ...any) {
	s.render(w, status, "error", errorPage{page: s.page(title, "error"), Message: fmt.Sprintf(format, args...)})
}

// renderFailure shows an engine or store error: bad input 400, else 500.
func (s *Server) renderFailure(w http.ResponseWriter, err error) {
	if engine.IsInvalidInput(err) {
		s.renderError(w, http.StatusBadRequest, "Bad request", "%v", err)
		return
	}
	s.cfg.Log.Warn().Err(err).Msg("ui: page failed")
	s.renderError(w, http.StatusInternalServerError, "Something went wrong", "%v", err)
}

func (s *Server) pageRoutes() {
	m := s.mux
	static, _ := fs.Sub(staticFiles, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/assets", http.StatusSeeOther)
	})
	m.HandleFunc("GET /assets", s.assetsPage)
	m.HandleFunc("GET /assets/{name}", s.assetPage)
	m.HandleFunc("GET /runs", s.runsPage)
	m.HandleFunc("GET /runs/{id}", s.runPage)
	m.HandleFunc("GET /jobs", s.jobsPage)
	m.HandleFunc("GET /launchpad", s.launchpadPage)
	m.HandleFunc("GET /clones", s.clonesPage)
	m.HandleFunc("GET /env", s.envPage)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, http.StatusNotFound, "Not found", "No page at %s.", r.URL.Path)
	})
}

type assetsPage struct {
	page
	Graph  engine.GraphView
	Layout graphLayout
}

func (s *Server) assetsPage(w http.ResponseWriter, r *http.Request) {
	view := s.cfg.Catalog.Describe()
	states, err := s.assetStates(r.Context(), &view)
	if err != nil {
		s.renderFailure(w, err)
		return
	}
	collapse := parseCollapse(r.URL.Query().Get("collapsed"), len(view.Assets))
	lay := layout(view.Assets, states, collapse, func(n string) string { return "/assets/" + url.PathEscape(n) })
	s.render(w, http.StatusOK, "assets", assetsPage{page: s.page("Assets", "assets"), Graph: view, Layout: lay})
}

// chart is a small line chart drawn on the server.
type chart struct {
	W, H, Bottom int
	MaxLabel     string
	Points       string
	Dots         []chartDot
}

type chartDot struct {
	X, Y  int
	Title string
}

// newChart plots values (oldest first) evenly spaced.
func newChart(values []float64, titles []string, label func(float64) string) chart {
	c := chart{W: 360, H: 140, Bottom: 130}
	top := 1.0
	for _, v := range values {
		top = max(top, v)
	}
	c.MaxLabel = label(top)
	var pts []string
	for i, v := range values {
		x := 46
		if len(values) > 1 {
			x = 46 + i*(c.W-56)/(len(values)-1)
		}
		y := c.Bottom - int(v/top*float64(c.Bottom-14))
		pts = append(pts, fmt.Sprintf("%d,%d", x, y))
		c.Dots = append(c.Dots, chartDot{X: x, Y: y, Title: titles[i]})
	}
	c.Points = strings.Join(pts, " ")
	return c
}

type assetPage struct {
	page
	Asset         *AssetAnswer
	RowsChart     chart
	DurationChart chart
}

func (s *Server) assetPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ans, err := s.asset(r.Context(), name)
	if err != nil {
		s.renderFailure(w, err)
		return
	}
	if ans == nil {
		s.renderError(w, http.StatusNotFound, "Unknown asset", "There is no asset %q in this environment.", name)
		return
	}
	var rows, durs []float64
	var rowTitles, durTitles []string
	for i := len(ans.Versions) - 1; i >= 0; i-- {
		v := ans.Versions[i]
		when := v.Time.Local().Format("2006-01-02 15:04:05")
		rows = append(rows, float64(max(v.Rows, 0)))
		rowTitles = append(rowTitles, fmt.Sprintf("%s: %d rows (run %s)", when, v.Rows, v.RunID))
		durs = append(durs, float64(v.Duration.Microseconds())/1000)
		durTitles = append(durTitles, fmt.Sprintf("%s: %s (run %s)", when, formatDuration(v.Duration), v.RunID))
	}
	s.render(w, http.StatusOK, "asset", assetPage{page: s.page(name, "assets"), Asset: ans,
		RowsChart:     newChart(rows, rowTitles, func(v float64) string { return formatRows(int64(v)) }),
		DurationChart: newChart(durs, durTitles, func(v float64) string { return fmt.Sprintf("%.0f", v) })})
}

type runsPage struct {
	page
	Filter         RunsFilter
	Runs           []runstore.Run
	Statuses, Jobs []string
	Envs           []string
}

func (s *Server) runsPage(w http.ResponseWriter, r *http.Request) {
	f, err := parseRunsFilter(r)
	if err != nil {
		s.renderFailure(w, err)
		return
	}
	runs, err := s.runs(r.Context(), f)
	if err != nil {
		s.renderFailure(w, err)
		return
	}
	p := runsPage{page: s.page("Runs", "runs"), Filter: f, Runs: runs,
		Statuses: []string{"STARTED", "SUCCESS", "FAILURE", "CANCELED"}, Jobs: []string{"assets"}, Envs: []string{"local", "branch", "prod"}}
	for _, j := range s.cfg.Catalog.Describe().Jobs {
		if !slices.Contains(p.Jobs, j.Name) {
			p.Jobs = append(p.Jobs, j.Name)
		}
	}
	s.render(w, http.StatusOK, "runs", p)
}

// failure is a failed step's error with its stack, for the run page.
type failure struct {
	Node, Error, Stack string
}

type runPage struct {
	page
	Run          *runstore.RunDetail
	Steps        []runstore.Step // the rows of the steps table
	StepNote     string          // why Steps is not every step
	Failures     []failure
	CanReexecute bool
}

// bigRun is the number of steps above which the run page lists only the steps
// that did not succeed, so a run of 10,000 steps stays light.
const bigRun = 1000

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.cfg.Store.MarkAbandoned(r.Context()); err != nil {
		s.renderFailure(w, err)
		return
	}
	d, err := s.run(r.Context(), id)
	if err != nil {
		s.renderFailure(w, err)
		return
	}
	if d == nil {
		s.renderError(w, http.StatusNotFound, "Unknown run", "There is no run %q in the run store.", id)
		return
	}
	events, err := s.cfg.Store.EventsAfter(r.Context(), id, 0, maxEvents)
	if err != nil {
		s.renderFailure(w, err)
		return
	}
	p := runPage{page: s.page("Run "+id, "run"), Run: d, Steps: d.Steps}
	if len(d.Steps) > bigRun {
		p.Steps = nil
		for _, st := range d.Steps {
			if st.Status != "SUCCESS" && st.Status != "NOT STARTED" && st.Status != "STARTED" {
				p.Steps = append(p.Steps, st)
			}
		}
		p.StepNote = fmt.Sprintf("%d steps: this table lists those that failed, were skipped or were cancelled; GET /api/runs/%s has them all.", len(d.Steps), id)
	}
	for _, e := range events {
		if e.Type == engine.EventStepFailure {
			p.Failures = append(p.Failures, failure{Node: e.Node, Error: e.Error, Stack: e.Stack})
		}
	}
	if _, err := d.Rerun(); err == nil && d.Status != "STARTED" {
		p.CanReexecute = true
	}
	s.render(w, http.StatusOK, "run", p)
}

type jobEntry struct {
	Job    engine.JobView
	Layout *graphLayout
}

type jobsPage struct {
	page
	Jobs []jobEntry
}

func (s *Server) jobsPage(w http.ResponseWriter, _ *http.Request) {
	p := jobsPage{page: s.page("Jobs", "jobs")}
	for _, j := range s.cfg.Catalog.Describe().Jobs {
		e := jobEntry{Job: j}
		if len(j.Ops) > 0 {
			lay := layout(j.Ops, nil, collapseSet{list: map[string]bool{}}, nil)
			lay.Groups = nil
			e.Layout = &lay
		}
		p.Jobs = append(p.Jobs, e)
	}
	s.render(w, http.StatusOK, "jobs", p)
}

type launchpadPage struct {
	page
	Req    LaunchRequest
	Jobs   []string
	Config string
}

func (s *Server) launchpadPage(w http.ResponseWriter, r *http.Request) {
	if s.cfg.ReadOnly {
		s.renderError(w, http.StatusForbidden, "Read-only", "The UI was started with --read-only: the Launchpad is off.")
		return
	}
	q := r.URL.Query()
	req := LaunchRequest{Kind: q.Get("kind"), Job: q.Get("job"), Selection: q.Get("selection")}
	if req.Kind != "job" {
		req.Kind = "assets"
	}
	if req.Kind == "assets" && req.Selection == "" {
		req.Selection = "*"
	}
	p := launchpadPage{page: s.page("Launchpad", "launchpad"), Req: req}
	for _, j := range s.cfg.Catalog.Describe().Jobs {
		if j.Available {
			p.Jobs = append(p.Jobs, j.Name)
		}
	}
	text, err := s.defaults(r.Context(), req)
	if err != nil {
		text = "# " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n"
	}
	p.Config = text
	s.render(w, http.StatusOK, "launchpad", p)
}

type clonesPage struct {
	page
	PRID            string
	Clones          []clones.Verdict
	Error           string
	OlderThan, Keep string
	Preview         []clones.Verdict
	PreviewError    string
}

func (s *Server) clonesPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := clonesPage{page: s.page("Clones", "clones"), PRID: s.cfg.Environment.PRID, OlderThan: q.Get("older_than"), Keep: q.Get("keep")}
	if s.cfg.Clones != nil {
		v, err := s.cfg.Clones(r.Context())
		if err != nil {
			p.Error = err.Error()
		}
		p.Clones = v
	}
	if p.OlderThan == "" {
		p.OlderThan = "14d"
	} else if s.cfg.ReapPreview != nil {
		rules, err := parseReapRules(r)
		if err == nil {
			p.Preview, err = s.cfg.ReapPreview(r.Context(), rules)
		}
		if err != nil {
			p.PreviewError = err.Error()
		}
	}
	s.render(w, http.StatusOK, "clones", p)
}

type envPage struct {
	page
	Environment Environment
}

func (s *Server) envPage(w http.ResponseWriter, _ *http.Request) {
	s.render(w, http.StatusOK, "env", envPage{page: s.page("Environment", "env"), Environment: s.cfg.Environment})
}

func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}
