package library

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func titles(p Page) []string {
	var out []string
	for _, v := range p.Videos {
		out = append(out, v.Title)
	}
	return out
}

func TestListSortAndFilter(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	videos := []Video{
		{Title: "banana", Added: t0.Add(1 * day), LastWatched: t0.Add(5 * day), FirstWatched: t0.Add(2 * day), WatchCount: 1, Kept: Cache},
		{Title: "Apple", Added: t0.Add(2 * day), Kept: OwnUpload},
		{Title: "Éclair", Added: t0.Add(3 * day), LastWatched: t0.Add(4 * day), FirstWatched: t0.Add(4 * day), WatchCount: 2, Kept: Pinned | Cache},
		{Title: "", Added: t0.Add(4 * day), Kept: OwnUpload | Pinned},
		{Title: "cherry", Added: t0.Add(5 * day), LastWatched: t0.Add(6 * day), FirstWatched: t0.Add(6 * day), WatchCount: 1},
	}
	for i := range videos {
		videos[i].Cid = testCid(t, fmt.Sprint("list", i))
		if err := c.Put(ctx, videos[i]); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name  string
		opts  ListOptions
		want  []string
		total int
	}{
		{"default is recently watched", ListOptions{}, []string{"cherry", "banana", "Éclair", "", "Apple"}, 5},
		{"recently watched", ListOptions{Sort: SortRecentlyWatched}, []string{"cherry", "banana", "Éclair", "", "Apple"}, 5},
		{"recently added", ListOptions{Sort: SortRecentlyAdded}, []string{"cherry", "", "Éclair", "Apple", "banana"}, 5},
		{"title ignores case and accents, untitled last", ListOptions{Sort: SortTitle}, []string{"Apple", "banana", "cherry", "Éclair", ""}, 5},
		{"kept pinned", ListOptions{Kept: Pinned, Sort: SortRecentlyAdded}, []string{"", "Éclair"}, 2},
		{"kept any of upload or cache", ListOptions{Kept: OwnUpload | Cache, Sort: SortTitle}, []string{"Apple", "banana", "Éclair", ""}, 4},
		{"watched", ListOptions{Watched: true}, []string{"cherry", "banana", "Éclair"}, 3},
		{"page 2", ListOptions{Sort: SortTitle, Offset: 2, Limit: 2}, []string{"cherry", "Éclair"}, 5},
		{"offset past end", ListOptions{Offset: 10}, nil, 5},
		{"relevance in List means recently watched", ListOptions{Sort: SortRelevance, Limit: 1}, []string{"cherry"}, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.List(ctx, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(p); !slices.Equal(got, tc.want) || p.Total != tc.total {
				t.Fatalf("got %q (total %d), want %q (total %d)", got, p.Total, tc.want, tc.total)
			}
		})
	}
	ctxDone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.List(ctxDone, ListOptions{}); err == nil {
		t.Fatal("List with a cancelled context succeeded")
	}
}

func TestSearch(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	videos := []Video{
		{Title: "Café de Flore", Description: "Paris at night"},
		{Title: "STRASSE in Berlin", Description: "walking"},
		{Title: "東京の夜景", Description: "夜の散歩 in Tokyo"},
		{Title: "Ünïcödé Test", Description: "diacritics everywhere"},
		{Title: "Cafe\u0301 decomposed", Description: "NFD title"},       // é as e + combining acute
		{Title: "Night walk", Description: "a café in Lisbon, at night"}, // matches café only in the description
		{Title: "ＦＵＬＬ ｗｉｄｔｈ", Description: "compatibility forms"},
		{Title: "Cafeteria tour", Description: "lunch"},
	}
	for i := range videos {
		videos[i].Cid = testCid(t, fmt.Sprint("search", i))
		videos[i].Added = t0.Add(time.Duration(i) * time.Hour)
		if err := c.Put(ctx, videos[i]); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		query string
		want  []string // in relevance order
	}{
		// Whole title words first (newest added first among equals), then
		// word starts, then the description.
		{"cafe", []string{"Cafe\u0301 decomposed", "Café de Flore", "Cafeteria tour", "Night walk"}},
		{"CAFÉ", []string{"Cafe\u0301 decomposed", "Café de Flore", "Cafeteria tour", "Night walk"}},
		{"straße", []string{"STRASSE in Berlin"}},
		{"strasse berlin", []string{"STRASSE in Berlin"}},
		{"夜景", []string{"東京の夜景"}},
		{"夜", []string{"東京の夜景"}},
		{"tokyo", []string{"東京の夜景"}},
		{"unicode", []string{"Ünïcödé Test"}},
		{"full", []string{"ＦＵＬＬ ｗｉｄｔｈ"}},
		{"night", []string{"Night walk", "Café de Flore"}},
		{"cafe lisbon", []string{"Night walk"}},
		{"cafe nowhere", nil},
		{"zebra", nil},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			p, err := c.Search(ctx, tc.query, ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(p); !slices.Equal(got, tc.want) {
				t.Fatalf("Search(%q) = %q, want %q", tc.query, got, tc.want)
			}
		})
	}

	p, err := c.Search(ctx, "  ", ListOptions{})
	if err != nil || p.Total != len(videos) {
		t.Fatalf("empty query: %v, %d results, want all %d", err, p.Total, len(videos))
	}
	p, err = c.Search(ctx, "cafe", ListOptions{Sort: SortTitle, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := titles(p); !slices.Equal(got, []string{"Café de Flore", "Cafe\u0301 decomposed"}) || p.Total != 4 {
		t.Fatalf("Search by title, limit 2: %q total %d", got, p.Total)
	}
}

// TestListScale measures List and Search over a catalog bigger than a
// typical user's, and bounds them generously.
func TestListScale(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	n := 5000
	if raceEnabled || testing.Short() {
		n = 2000
	}
	start := time.Now()
	for i := range n {
		v := fullVideo(t, fmt.Sprint("scale", i))
		v.Title = fmt.Sprintf("Video number %d — Überblick", i)
		v.Description = "A description of moderate length, the kind a creator writes under a video, with some words."
		if err := c.Put(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	putTime := time.Since(start)

	start = time.Now()
	p, err := c.List(ctx, ListOptions{Limit: 50})
	listTime := time.Since(start)
	if err != nil || p.Total != n || len(p.Videos) != 50 {
		t.Fatalf("List: %v, total %d, %d videos", err, p.Total, len(p.Videos))
	}
	start = time.Now()
	p, err = c.Search(ctx, "uberblick 1234", ListOptions{})
	searchTime := time.Since(start)
	if err != nil || p.Total != 1 || p.Videos[0].Title != "Video number 1234 — Überblick" {
		t.Fatalf("Search: %v, %q", err, titles(p))
	}
	t.Logf("%d records (race=%v): Put %v each, List %v, Search %v", n, raceEnabled, putTime/time.Duration(n), listTime, searchTime)
	if listTime > 10*time.Second || searchTime > 10*time.Second {
		t.Fatalf("List %v / Search %v over %d records is too slow for a GUI", listTime, searchTime, n)
	}
}
