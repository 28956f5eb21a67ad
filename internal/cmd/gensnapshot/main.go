// Command gensnapshot writes the bundled Hacker News snapshot,
// testdata/hn/items.jsonl: a few thousand items in the API's exact JSON shape,
// made up deterministically (stories, comment threads, jobs, a poll with its
// options, deleted, dead and missing items, HTML entities and unicode text).
//
//	go run ./internal/cmd/gensnapshot -out testdata/hn/items.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
)

type item struct {
	By          string  `json:"by,omitempty"`
	Deleted     bool    `json:"deleted,omitempty"`
	Dead        bool    `json:"dead,omitempty"`
	Descendants *int    `json:"descendants,omitempty"`
	ID          int64   `json:"id"`
	Kids        []int64 `json:"kids,omitempty"`
	Parent      int64   `json:"parent,omitempty"`
	Parts       []int64 `json:"parts,omitempty"`
	Poll        int64   `json:"poll,omitempty"`
	Score       *int    `json:"score,omitempty"`
	Text        string  `json:"text,omitempty"`
	Time        int64   `json:"time"`
	Title       string  `json:"title,omitempty"`
	Type        string  `json:"type"`
	URL         string  `json:"url,omitempty"`
}

var (
	subjects = []string{"Show HN: A tiny", "Ask HN: Is anyone using a", "Why we rewrote our", "The case against the",
		"Launch HN: An open-source", "How I built a", "Notes on the", "A visual guide to the", "Tell HN: My", "Lessons from a"}
	things = []string{"key-value store", "SQL planner", "static site generator", "compiler for Lisp", "Raft library",
		"columnar database", "terminal emulator", "tiling window manager", "Go scheduler", "CRDT editor",
		"café-ordering bot", "日本語 tokenizer", "naïve Bayes filter", "🚀 launch checklist"}
	suffixes = []string{"", " in Rust", " in Go", " (2007)", " [pdf]", " for startups", " – a retrospective", " that fits in 4KB"}
	openers  = []string{"I&#x27;m not sure this holds up.", "This is great &mdash; thanks for sharing.",
		"We tried &quot;the same thing&quot; at work and it went badly.", "Counterpoint: latency &gt; throughput here.",
		"Has anyone benchmarked this against the obvious baseline?", "Résumé-driven development, plain and simple.",
		"The code is at <a href=\"https:&#x2F;&#x2F;example.com&#x2F;repo\" rel=\"nofollow\">https:&#x2F;&#x2F;example.com&#x2F;repo</a>",
		"Fun fact: 東京 has more of these than anywhere else.", "I wrote one of these in 2006 &amp; regret nothing 😅"}
	closers = []string{"", "<p>Edit: fixed a typo.", "<p>The second half of the article is the interesting part.",
		"<p><i>Strongly</i> recommend reading the paper first.", "<p><pre><code>  x := 1 &lt;&lt; 10\n</code></pre>"}
	domains = []string{"example.com", "blog.example.org", "news.example.net", "papers.example.edu", "github.example.io"}
)

func main() {
	out := flag.String("out", "testdata/hn/items.jsonl", "file to write")
	n := flag.Int64("n", 3000, "highest item id")
	flag.Parse()
	items := generate(*n, rand.New(rand.NewPCG(2006, 10)))
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // the API sends <p> and &amp; as they are
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
}

func generate(n int64, rng *rand.Rand) []*item {
	users := make([]string, 300)
	for i := range users {
		users[i] = fmt.Sprintf("%s%s%d", []string{"pg", "sama", "jl", "tptacek", "dang", "kragen", "patio", "nostrademons"}[i%8],
			[]string{"", "_", "x", "dev"}[i%4], i)
	}
	byID := map[int64]*item{}
	var order []*item
	var stories, threads []int64 // threads: stories and comments that can take replies
	now := int64(1160418111)
	ptr := func(v int) *int { return &v }
	for id := int64(1); id <= n; id++ {
		now += 10 + rng.Int64N(600)
		if rng.IntN(100) == 0 && id > 10 {
			continue // never assigned: the API answers null
		}
		it := &item{ID: id, Time: now, By: users[rng.IntN(len(users))]}
		switch r := rng.IntN(100); {
		case id == n/2: // a poll with three options
			it.Type, it.Title, it.Score = "poll", "Poll: which language do you use for data pipelines?", ptr(40+rng.IntN(100))
			it.Text = "Curious what people here reach for first &amp; why."
			it.Parts = []int64{id + 1, id + 2, id + 3}
			it.Descendants = ptr(0)
			stories = append(stories, id)
			for k, opt := range []string{"Python", "Go", "SQL, just SQL"} {
				now++
				byID[id+int64(k)+1] = &item{ID: id + int64(k) + 1, Type: "pollopt", Poll: id, Title: opt,
					Score: ptr(rng.IntN(80)), By: it.By, Time: now}
			}
		case byID[id] != nil: // a poll option made above
			order = append(order, byID[id])
			continue
		case r < 2 && id > 10:
			it.Type, it.Title, it.Score, it.URL = "job", "Example Corp (YC W07) is hiring engineers", ptr(1), "https://"+domains[0]+"/jobs"
		case r < 32 || len(threads) == 0:
			it.Type = "story"
			it.Title = subjects[rng.IntN(len(subjects))] + " " + things[rng.IntN(len(things))] + suffixes[rng.IntN(len(suffixes))]
			it.Score = ptr(1 + rng.IntN(300))
			it.Descendants = ptr(0)
			if strings.HasPrefix(it.Title, "Ask HN") || strings.HasPrefix(it.Title, "Tell HN") {
				it.Text = openers[rng.IntN(len(openers))] + closers[rng.IntN(len(closers))]
			} else {
				it.URL = fmt.Sprintf("https://%s/%d/%s", domains[rng.IntN(len(domains))], 2006+id%3, strings.ToLower(things[rng.IntN(5)][:4]))
			}
			stories = append(stories, id)
			threads = append(threads, id)
		default:
			it.Type = "comment"
			// Replies cluster on recent threads, as they do on the site.
			lo := max(0, len(threads)-60)
			it.Parent = threads[lo+rng.IntN(len(threads)-lo)]
			it.Text = openers[rng.IntN(len(openers))] + closers[rng.IntN(len(closers))]
			threads = append(threads, id)
		}
		switch r := rng.IntN(100); {
		case r < 2 && it.Type == "comment":
			*it = item{ID: it.ID, Deleted: true, Parent: it.Parent, Time: it.Time, Type: "comment"}
		case r < 4:
			it.Dead = true
		}
		if it.Type == "story" && rng.IntN(40) == 0 {
			it.Dead, it.Title, it.URL, it.Descendants = true, "", "", ptr(-1)
		}
		byID[id] = it
		order = append(order, it)
	}
	// Link kids and count each story's live descendants.
	for _, it := range order {
		if it.Parent != 0 {
			p := byID[it.Parent]
			p.Kids = append(p.Kids, it.ID)
		}
	}
	var count func(id int64) int
	count = func(id int64) int {
		total := 0
		for _, k := range byID[id].Kids {
			if !byID[k].Deleted {
				total++
			}
			total += count(k)
		}
		return total
	}
	for _, id := range stories {
		s := byID[id]
		if s.Descendants != nil && *s.Descendants >= 0 {
			s.Descendants = ptr(count(id))
		}
		// The API lists kids by rank, not by id.
		sort.Slice(s.Kids, func(i, j int) bool { return (s.Kids[i]*7919)%101 < (s.Kids[j]*7919)%101 })
	}
	return order
}
