package hackernews_test

import (
	"testing"

	"github.com/assetflow/assetflow/assets/hackernews"
)

// FuzzDecodeItem: any answer is an item with the id asked, null, or an error;
// never a panic.
func FuzzDecodeItem(f *testing.F) {
	for _, s := range []string{`{"id":1,"type":"story","kids":[2,3],"score":5}`, `null`, ` null `, `{"id":2}`,
		`{"id":1,"kids":"x"}`, `{"id":1,"time":-5,"deleted":true}`, `[]`, `{`, `"x"`, `{"id":1e400}`} {
		f.Add(int64(1), []byte(s))
	}
	f.Fuzz(func(t *testing.T, id int64, body []byte) {
		it, err := hackernews.DecodeItem(id, body)
		if err == nil && it != nil && it.ID != id {
			t.Errorf("asked %d, got item %d", id, it.ID)
		}
	})
}
