package ui

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// AssetsAnswer is GET /api/assets: the graph view (the JSON of `run graph
// --format json`, each asset's status filled from the run store) and each
// asset's state.
type AssetsAnswer struct {
	Graph  engine.GraphView      `json:"graph"`
	States map[string]AssetState `json:"states"`
}

func (s *Server) apiAssets(w http.ResponseWriter, r *http.Request) {
	view, err := s.view(r.URL.Query().Get("select"))
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	states, err := s.assetStates(r.Context(), &view)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, AssetsAnswer{Graph: view, States: states})
}

// ShownState is one asset's state and the line its box shows under its name.
type ShownState struct {
	State  string `json:"state"`
	Detail string `json:"detail"`
}

// apiStates is GET /api/states: every asset's state, light enough for the
// assets page to poll.
func (s *Server) apiStates(w http.ResponseWriter, r *http.Request) {
	view := s.cfg.Catalog.Describe()
	states, err := s.assetStates(r.Context(), &view)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	out := make(map[string]ShownState, len(states))
	for _, a := range view.Assets {
		st := states[a.Name]
		out[a.Name] = ShownState{State: st.State, Detail: nodeDetail(a, st)}
	}
	writeJSON(w, http.StatusOK, out)
}

// view is the catalog's view, restricted to a selection when one is given.
func (s *Server) view(selection string) (engine.GraphView, error) {
	if strings.TrimSpace(selection) == "" {
		return s.cfg.Catalog.Describe(), nil
	}
	return s.cfg.Catalog.DescribeSelection(selection)
}

// SelectAnswer is GET /api/select?q=SEL: the assets the CLI's selection syntax picks.
type SelectAnswer struct {
	Query  string   `json:"query"`
	Assets []string `json:"assets"`
}

func (s *Server) apiSelect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		writeError(w, http.StatusBadRequest, "select: q is empty: give a selection such as items+ or group:hacker_news")
		return
	}
	v, err := s.cfg.Catalog.DescribeSelection(q)
	if err != nil {
		s.writeFailure(w, err, nil)
		return
	}
	ans := SelectAnswer{Query: q, Assets: []string{}}
	for _, a := range v.Assets {
		ans.Assets = append(ans.Assets, a.Name)
	}
	writeJSON(w, http.StatusOK, ans)
}

// AssetAnswer is GET /api/assets/{name}.
type AssetAnswer struct {
	Asset      engine.NodeView         `json:"asset"`
	State      AssetState              `json:"state"`
	Upstream   []string                `json:"upstream"`
	Downstream []string                `json:"downstream"`
	Versions   []runstore.AssetVersion `json:"versions"` // newest first
}

// maxVersions bounds the history the asset page shows.
const maxVersions = 200

func (s *Server) asset(ctx context.Context, name string) (*AssetAnswer, error) {
	if !s.cfg.Catalog.HasAsset(name) {
		return nil, nil
	}
	view := s.cfg.Catalog.Describe()
	states, err := s.assetStates(ctx, &view)
	if err != nil {
		return nil, err
	}
	ans := &AssetAnswer{Upstream: []string{}, Downstream: []string{}}
	for _, a := range view.Assets {
		if a.Name == name {
			ans.Asset, ans.Upstream = a, append(ans.Upstream, a.Deps...)
		}
		if slices.Contains(a.Deps, name) {
			ans.Downstream = append(ans.Downstream, a.Name)
		}
	}
	ans.State = states[name]
	if ans.Versions, err = s.cfg.Store.AssetVersions(ctx, name, maxVersions); err != nil {
		return nil, err
	}
	return ans, nil
}

func (s *Server) apiAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ans, err := s.asset(r.Context(), name)
	switch {
	case err != nil:
		s.writeFailure(w, err, nil)
	case ans == nil:
		writeError(w, http.StatusNotFound, "unknown asset %q (see GET /api/assets)", name)
	default:
		writeJSON(w, http.StatusOK, ans)
	}
}
