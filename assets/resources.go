package assets

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/assetflow/assetflow/assets/hackernews"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/redact"
	"github.com/assetflow/assetflow/resources"
)

// Schema is the schema the Hacker News tables live in.
const Schema = "HACKER_NEWS"

// HackerNewsKey is the resource key of the Hacker News client.
var HackerNewsKey = engine.Key[*hackernews.Client]("hackernews")

// Variables that configure the Hacker News client.
const (
	HNURLVar         = "ASSETFLOW_HN_URL"         // the Hacker News API
	HNSnapshotVar    = "ASSETFLOW_HN_SNAPSHOT"    // a JSON-lines snapshot to replay instead
	HNConcurrencyVar = "ASSETFLOW_HN_CONCURRENCY" // requests in flight, default 32
)

// DefaultSnapshot is the bundled snapshot `run assets` replays in local.
const DefaultSnapshot = "testdata/hn/items.jsonl"

// Resources binds the Hacker News project's resources for env: the warehouse
// and its I/O manager for schema HACKER_NEWS, and the Hacker News client.
func Resources(env resources.Environment, opt resources.Options) (map[string]engine.Resource, error) {
	if opt.Lookup == nil {
		opt.Lookup = os.LookupEnv
	}
	res, err := resources.Warehouse(env, Schema, opt)
	if err != nil {
		return nil, err
	}
	hn, err := BindHackerNews(env, opt.Lookup)
	if err != nil {
		return nil, err
	}
	res[HackerNewsKey.Name()] = hn
	return res, nil
}

// BindHackerNews binds the Hacker News client: the live API, another URL
// (ASSETFLOW_HN_URL) or a snapshot replayed offline (ASSETFLOW_HN_SNAPSHOT, and
// by default in local the bundled one). It checks the settings without
// connecting.
func BindHackerNews(env resources.Environment, lookup resources.LookupFunc) (engine.Resource, error) {
	cfg := hackernews.Config{}
	if v, ok := lookup(HNConcurrencyVar); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return engine.Resource{}, engine.Usagef("%s=%q: expected a number from 1 to 1024", HNConcurrencyVar, v)
		}
		cfg.Concurrency = n
	}
	apiURL, _ := lookup(HNURLVar)
	snapshot, _ := lookup(HNSnapshotVar)
	if apiURL == "" && snapshot == "" && env.Name == resources.Local {
		snapshot = findUpward(DefaultSnapshot)
	}
	r := engine.Resource{Settings: []engine.Setting{{Name: "concurrency", Value: strconv.Itoa(max(cfg.Concurrency, 32))}}}
	if snapshot != "" {
		r.Description = "the bundled snapshot " + snapshot + ", offline (set " + HNURLVar + "=" + hackernews.DefaultURL + " for the live API)"
		r.Settings = append(r.Settings, engine.Setting{Name: "snapshot", Value: snapshot})
		r.Notice = "items come from " + r.Description
		r.Open = func(ctx context.Context, _ engine.Deps) (any, error) {
			s, err := hackernews.LoadSnapshot(snapshot)
			if err != nil {
				return nil, fmt.Errorf("%w (set %s to a snapshot file, or %s for the live API)", err, HNSnapshotVar, HNURLVar)
			}
			cfg.Transport, cfg.BaseURL, cfg.Source = s.Transport(), "http://snapshot/v0", "the bundled snapshot "+snapshot
			return hackernews.New(cfg), nil
		}
		return r, nil
	}
	if apiURL == "" {
		apiURL = hackernews.DefaultURL
	}
	shown := redact.URL(apiURL) // credentials in the URL are used, never shown
	if u, err := url.Parse(apiURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return engine.Resource{}, engine.Usagef("%s=%q: expected an http(s) URL such as %s", HNURLVar, shown, hackernews.DefaultURL)
	}
	r.Description = "Hacker News API at " + shown
	r.Settings = append(r.Settings, engine.Setting{Name: "url", Value: shown})
	r.Notice = "items come from " + r.Description
	r.Open = func(ctx context.Context, _ engine.Deps) (any, error) {
		cfg.BaseURL, cfg.Source = apiURL, r.Description
		return hackernews.New(cfg), nil
	}
	return r, nil
}

// findUpward returns rel relative to the working folder or the nearest parent
// that has it, so the bundled snapshot is found from anywhere in the checkout.
func findUpward(rel string) string {
	dir, err := os.Getwd()
	if err != nil {
		return rel
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			if r, err := filepath.Rel(mustGetwd(), p); err == nil {
				return r
			}
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return rel
		}
		dir = parent
	}
}

func mustGetwd() string {
	wd, _ := os.Getwd()
	return wd
}
