// Package assets holds the Hacker News assets: items, fetched from the API, and
// comments and stories, filtered from it. They are user code, written against the
// engine's public API as any assetflow user would write theirs.
package assets
