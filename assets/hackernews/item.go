// Package hackernews is a client of the Hacker News API
// (https://github.com/HackerNews/API) that fetches items concurrently, and a
// replay source that serves a recorded snapshot in the API's exact shape.
package hackernews

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// MaxID is the largest item id the API can give: its JSON numbers are
// JavaScript doubles, which hold integers exactly only up to 2^53-1. A larger
// maxitem is not a real id, and an id range near math.MaxInt64 would overflow.
const MaxID = 1<<53 - 1

// MaxTime is the largest item time (Unix seconds) that a microsecond timestamp,
// as the items table stores it, can hold.
const MaxTime = math.MaxInt64 / 1_000_000

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
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			// Plain words, not Go's type names: the field and what it held.
			return nil, fmt.Errorf("item %d: field %s holds %s: expected %s", id, te.Field, te.Value, expected(te.Field))
		}
		return nil, fmt.Errorf("item %d: malformed JSON: %w", id, err)
	}
	if it.ID != id {
		return nil, fmt.Errorf("item %d: the API answered with item %d", id, it.ID)
	}
	if err := it.check(); err != nil {
		return nil, err
	}
	return &it, nil
}

// check refuses numbers the items table cannot hold, naming the item and value,
// rather than letting them wrap.
func (it *Item) check() error {
	if it.Time < 0 || it.Time > MaxTime {
		return fmt.Errorf("item %d: time = %d: expected Unix seconds from 0 to %d", it.ID, it.Time, int64(MaxTime))
	}
	for _, k := range it.Kids {
		if k <= 0 || k > MaxID {
			return fmt.Errorf("item %d: kid id %d: expected an item id from 1 to %d", it.ID, k, int64(MaxID))
		}
	}
	return nil
}

func expected(field string) string {
	switch field {
	case "kids", "parts":
		return "a list of whole numbers"
	case "deleted", "dead":
		return "true or false"
	case "type", "by", "text", "url", "title":
		return "a string"
	}
	return "a whole number within 64 bits"
}
