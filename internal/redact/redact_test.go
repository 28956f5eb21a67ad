package redact_test

import (
	"strings"
	"testing"

	"github.com/assetflow/assetflow/internal/redact"
)

func TestURL(t *testing.T) {
	cases := map[string]string{
		"https://bob:hunter2@hn.example/v0":       "https://***@hn.example/v0",
		"https://bob@hn.example/v0":               "https://***@hn.example/v0",
		"snowflake://me:s3cr3t@acct?role=R":       "snowflake://***@acct?role=R",
		"snowflake://me:p@ss@acct":                "snowflake://***@acct",
		"snowflake://me:pa/ss@acct":               "snowflake://***@acct",
		"snowflake://me:pa#ss@acct":               "snowflake://***@acct",
		"snowflake://me:pa?ss@acct":               "snowflake://***@acct",
		"postgres://me:s3cr3t@[::1":               "postgres://***@[::1",
		"%zz://me:hunter2@host":                   "%zz://***@host",
		"https://hacker-news.firebaseio.com/v0":   "https://hacker-news.firebaseio.com/v0",
		"duckdb:///tmp/wh":                        "duckdb:///tmp/wh",
		"HTTPS://BOB:HUNTER2@HOST/":               "HTTPS://***@HOST/",
		"https://host/v0 and ftp://bob:s3cr3t@x/": "https://***@x/",
		"https://user:0\f0#@0":                    "https://***@0",
		"https://me:pa ss@host/v0":                "https://***@host/v0",
		"https://hn.example/v0?auth=FIREBASE&x=1": "https://hn.example/v0?auth=***&x=1",
		"https://h/v0?a=1&ACCESS_TOKEN=tok#frag":  "https://h/v0?a=1&ACCESS_TOKEN=***#frag",
		"https://h/v0?api_key=k&password=p":       "https://h/v0?api_key=***&password=***",
		"snowflake://acct?role=R&warehouse=W":     "snowflake://acct?role=R&warehouse=W",
	}
	for in, want := range cases {
		if got := redact.URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestText(t *testing.T) {
	in := `Get "http://bob:hunter2@127.0.0.1:1/v0/item/1.json": dial tcp: refused; also snowflake://me:s3cr3t@acct`
	got := redact.Text(in)
	for _, s := range []string{"hunter2", "s3cr3t", "bob"} {
		if strings.Contains(got, s) {
			t.Errorf("%q shows %q", got, s)
		}
	}
	if got := redact.Text(`Get "https://h/v0/item/1.json?auth=FIREBASESECRET": timeout`); strings.Contains(got, "FIREBASESECRET") {
		t.Errorf("%q shows the auth= token", got)
	}
	if !strings.Contains(got, "127.0.0.1:1/v0/item/1.json") {
		t.Errorf("%q lost the address", got)
	}
}

// FuzzURL: whatever the input, a password placed in its user-info never
// survives redaction.
func FuzzURL(f *testing.F) {
	for _, s := range []string{"https://host/v0", "snowflake://acct?role=R", "http://[::1]:80/", "x://y/z@w", "%zz://a"} {
		f.Add(s, "hunter2")
	}
	f.Fuzz(func(t *testing.T, rest, password string) {
		if len(password) < 4 || strings.ContainsAny(password, " \t\r\n\"'<>@") || strings.Contains(rest, password) {
			t.Skip()
		}
		raw := "https://user:" + password + "@" + rest
		if got := redact.URL(raw); strings.Contains(got, password) {
			t.Fatalf("URL(%q) = %q shows the password", raw, got)
		}
	})
}
