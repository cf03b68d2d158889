package library

import (
	"slices"
	"testing"
	"time"
)

// The pure seeding decisions, each case one round's view: which scored
// videos get fetched (best first), which auto-seeded ones the quota drops,
// and which ones the best candidate replaces when the quota has no room.
func TestSeedPolicy(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := seedPolicy{minScore: 0.5, minKeep: 24 * time.Hour, hysteresis: 1.5}
	old, recent := now.Add(-48*time.Hour), now.Add(-time.Hour)
	score := func(name string, s float64, size int64, kept KeepReason) VideoScore {
		return VideoScore{Cid: testCid(t, name), Title: name, Score: s, Size: size, Kept: kept}
	}
	held := func(name string, s float64, bytes int64, since time.Time) seedHeld {
		return seedHeld{VideoScore: score(name, s, bytes, AutoSeeded), bytes: bytes, since: since}
	}
	cases := []struct {
		name     string
		scores   []VideoScore
		held     []seedHeld // lowest score first, as the round lists them
		budget   int64
		reserved int64
		lastSwap time.Time
		// wantFetch are the candidates in the order they are tried;
		// wantDrop what the quota drops; wantVictims what the first
		// candidate replaces when it does not fit.
		wantFetch, wantDrop, wantVictims []string
	}{
		{
			name:   "nothing above the minimum score",
			scores: []VideoScore{score("low", 0.4, 10, 0), score("idle", 0, 10, 0)},
			budget: 100,
		},
		{
			name: "the best first, only unkept videos of known size",
			scores: []VideoScore{
				score("fair", 1, 10, 0), score("best", 5, 10, 0), score("unsized", 9, 0, 0),
				score("pinned", 8, 10, Pinned), score("seeded", 7, 10, AutoSeeded),
				score("upload", 6, 10, OwnUpload), score("tie-larger", 1, 20, 0),
			},
			budget:    100,
			wantFetch: []string{"best", "fair", "tie-larger"},
		},
		{
			name:        "swap when better by the margin and past the keep time",
			scores:      []VideoScore{score("new", 2, 50, 0)},
			held:        []seedHeld{held("old", 1, 50, old)},
			budget:      50,
			wantFetch:   []string{"new"},
			wantVictims: []string{"old"},
		},
		{
			name:      "no swap below the margin",
			scores:    []VideoScore{score("new", 1.5, 50, 0)},
			held:      []seedHeld{held("old", 1, 50, old)},
			budget:    50,
			wantFetch: []string{"new"},
		},
		{
			name:      "no swap before the keep time (a missing start counts as now)",
			scores:    []VideoScore{score("new", 9, 50, 0)},
			held:      []seedHeld{held("young", 1, 25, recent), held("unknown", 1, 25, time.Time{})},
			budget:    50,
			wantFetch: []string{"new"},
		},
		{
			name:      "no second swap within the keep time",
			scores:    []VideoScore{score("new", 9, 50, 0)},
			held:      []seedHeld{held("old", 1, 50, old)},
			budget:    50,
			lastSwap:  recent,
			wantFetch: []string{"new"},
		},
		{
			name:   "a swap frees enough room with the lowest scores, the reservations counted",
			scores: []VideoScore{score("new", 4, 50, 0)},
			held: []seedHeld{
				held("a", 1, 30, old), held("b", 1, 30, old), held("c", 5, 30, old),
			},
			budget:      110, // without the reservation a alone would make room
			reserved:    10,
			wantFetch:   []string{"new"},
			wantVictims: []string{"a", "b"},
		},
		{
			name: "over the quota the lowest scores go, whatever their keep time",
			held: []seedHeld{
				held("h1", 1, 40, recent), held("h2", 2, 40, recent), held("h3", 3, 40, recent),
			},
			budget:   50,
			wantDrop: []string{"h1", "h2"},
		},
		{
			name:     "a quota of nothing drops all",
			held:     []seedHeld{held("h1", 1, 40, old)},
			budget:   0,
			wantDrop: []string{"h1"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fetch := p.toFetch(tc.scores)
			if got := scoreNames(t, tc.scores, fetch); !slices.Equal(got, tc.wantFetch) {
				t.Errorf("fetch %v, want %v", got, tc.wantFetch)
			}
			drop := p.overQuota(tc.held, tc.budget)
			if got := heldNames(t, tc.held, tc.held[:drop]); !slices.Equal(got, tc.wantDrop) {
				t.Errorf("drop %v, want %v", got, tc.wantDrop)
			}
			rest := tc.held[drop:]
			var victims []seedHeld
			if len(fetch) > 0 && p.maySwap(now, tc.lastSwap, false) {
				st := State{CacheBudget: tc.budget, Reserved: tc.reserved}
				victims = p.victims(now, rest, fetch[0], fetch[0].Size, st)
			}
			if got := heldNames(t, tc.held, victims); !slices.Equal(got, tc.wantVictims) {
				t.Errorf("victims %v, want %v", got, tc.wantVictims)
			}
		})
	}
	if p.maySwap(now, old, true) {
		t.Error("a second swap in one round allowed")
	}
}

// scoreNames names the videos of got by the test names that made all.
func scoreNames(t *testing.T, all, got []VideoScore) []string {
	t.Helper()
	var out []string
	for _, g := range got {
		i := slices.IndexFunc(all, func(s VideoScore) bool { return s.Cid.Equals(g.Cid) })
		if i < 0 {
			t.Fatalf("%s was not an input", g.Cid)
		}
		out = append(out, all[i].Title)
	}
	return out
}

func heldNames(t *testing.T, all, got []seedHeld) []string {
	t.Helper()
	var scores []VideoScore
	for _, h := range all {
		scores = append(scores, h.VideoScore)
	}
	var gotScores []VideoScore
	for _, h := range got {
		gotScores = append(gotScores, h.VideoScore)
	}
	return scoreNames(t, scores, gotScores)
}
