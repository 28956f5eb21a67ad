package sfserver

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestCSVRecordsAsTheDriverWritesThem(t *testing.T) {
	// createCSVRecord: NULL is an empty unquoted field; the empty string and
	// values with quotes, commas, newlines or backslashes are quoted.
	in := "1,\"\",,\"a \"\"q\"\", b\"\n2,x,\"line\nbreak\",\"back\\\\slash\"\n3,,,\n"
	var got [][]string
	err := eachCSVRecord([]byte(in), func(fields []*string) error {
		row := make([]string, len(fields))
		for i, f := range fields {
			if f == nil {
				row[i] = "<NULL>"
			} else {
				row[i] = "[" + *f + "]"
			}
		}
		got = append(got, row)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"[1]", "[]", "<NULL>", `[a "q", b]`},
		{"[2]", "[x]", "[line\nbreak]", `[back\\slash]`},
		{"[3]", "<NULL>", "<NULL>", "<NULL>"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records %q", len(got), got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d: got %q, want %q", i, got[i], want[i])
		}
	}
	if err := eachCSVRecord([]byte("\"open"), func([]*string) error { return nil }); err == nil {
		t.Error("an unterminated quote parsed")
	}
}

func TestTimestampIntegersBySize(t *testing.T) {
	want := time.Date(2006, 10, 9, 18, 21, 51, 0, time.UTC)
	for _, s := range []string{"1160418111", "1160418111000", "1160418111000000", "1160418111000000000", "2006-10-09 18:21:51"} {
		got, err := parseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: got %v, %v", s, got, err)
		}
	}
}

// Uploads need the URL's valid signature, before it expires, to a live stage.
func TestPresignedUploadsAreChecked(t *testing.T) {
	srv, err := Start(context.Background(), Config{Dir: t.TempDir(), Users: map[string]string{"u": "p"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	st := srv.stages.add("DB.S.ST")
	put := func(u string) int {
		req, err := http.NewRequest(http.MethodPut, u, strings.NewReader("data"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	good := srv.presign(gcsBucket+"/"+st.id+"/f", time.Now().Add(time.Hour))
	if code := put(good); code != http.StatusOK {
		t.Errorf("valid URL: %d", code)
	}
	if f, ok := st.get("f"); !ok || f.encrypted {
		t.Errorf("stored %+v, %v (unencrypted)", f, ok)
	} else if _, err := readStaged(f); err == nil {
		t.Error("an unencrypted file was read from a stage that requires encryption")
	}
	u, _ := url.Parse(good)
	q := u.Query()
	q.Set("X-Goog-Signature", strings.Repeat("0", 64))
	u.RawQuery = q.Encode()
	if code := put(u.String()); code != http.StatusForbidden {
		t.Errorf("forged signature: %d", code)
	}
	other := strings.Replace(good, "/f?", "/g?", 1)
	if code := put(other); code != http.StatusForbidden {
		t.Errorf("signature of another object: %d", code)
	}
	if code := put(srv.presign(gcsBucket+"/"+st.id+"/f", time.Now().Add(-time.Minute))); code != http.StatusBadRequest {
		t.Errorf("expired URL: %d", code)
	}
	srv.stages.remove(st)
	if code := put(good); code != http.StatusNotFound {
		t.Errorf("dropped stage: %d", code)
	}
}
