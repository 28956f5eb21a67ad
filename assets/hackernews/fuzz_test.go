package hackernews_test

import (
	"strings"
	"testing"

	"github.com/assetflow/assetflow/assets/hackernews"
)

// FuzzDecodeItem: any answer is an item with the id asked, null, or an error;
// never a panic.
func FuzzDecodeItem(f *testing.F) {
	for _, s := range []string{`{"id":1,"type":"story","kids":[2,3],"score":5}`, `null`, ` null `, `{"id":2}`,
		`{"id":1,"kids":"x"}`, `{"id":1,"time":-5,"deleted":true}`, `[]`, `{`, `"x"`, `{"id":1e400}`,
		`{"id":1,"time":9223372036854775807}`, `{"id":1,"time":9223372036855}`, `{"id":1,"time":1e30}`,
		`{"id":1,"kids":[-1]}`, `{"id":1,"kids":[99999999999999999999]}`} {
		f.Add(int64(1), []byte(s))
	}
	f.Fuzz(func(t *testing.T, id int64, body []byte) {
		it, err := hackernews.DecodeItem(id, body)
		if err == nil && it != nil && it.ID != id {
			t.Errorf("asked %d, got item %d", id, it.ID)
		}
		if err == nil && it != nil && (it.Time < 0 || it.Time > hackernews.MaxTime) {
			t.Errorf("accepted time %d, which a timestamp cannot hold", it.Time)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error %q", err)
		}
	})
}
