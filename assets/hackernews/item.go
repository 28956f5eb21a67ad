// Package hackernews is a client of the Hacker News API
// (https://github.com/HackerNews/API) that fetches items concurrently, and a
// replay source that serves a recorded snapshot in the API's exact shape.
package hackernews

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Item is one Hacker News item as the API returns it. Optional numbers are
// pointers so a missing field stays distinguishable from zero.
type Item struct {
	ID          int64   `json:"id"`
	Deleted     bool    `json:"deleted,omitempty"`
	Type        string  `json:"type,omitempty"`
	By          string  `json:"by,omitempty"`
	Time        int64   `json:"time,omitempty"`
	Text        string  `json:"text,omitempty"`
	Dead        bool    `json:"dead,omitempty"`
	Parent      *int64  `json:"parent,omitempty"`
	Poll        *int64  `json:"poll,omitempty"`
	Kids        []int64 `json:"kids,omitempty"`
	URL         string  `json:"url,omitempty"`
	Score       *int64  `json:"score,omitempty"`
	Title       string  `json:"title,omitempty"`
	Parts       []int64 `json:"parts,omitempty"`
	Descendants *int64  `json:"descendants,omitempty"`
}

// DecodeItem decodes the API's answer for item id: nil for `null` (no such
// item), an error for malformed JSON or an item with another id.
func DecodeItem(id int64, body []byte) (*Item, error) {
	body = bytes.TrimSpace(body)
	if bytes.Equal(body, []byte("null")) {
		return nil, nil
	}
	var it Item
	if err := json.Unmarshal(body, &it); err != nil {
		return nil, fmt.Errorf("item %d: malformed JSON: %w", id, err)
	}
	if it.ID != id {
		return nil, fmt.Errorf("item %d: the API answered with item %d", id, it.ID)
	}
	return &it, nil
}
