package library_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/testclock"
	"github.com/ipfs-tube/ipfs-tube/library"
)

// Pausing cuts a capped fetch short and keeps what is seeded; paused
// rounds fetch, demote and announce nothing; after resuming, the cut
// fetch is finished with only the missing bytes.
func TestAutoSeedPauseCutsFetchAndKeepsSeeds(t *testing.T) {
	r := newSeedRig(t, 2)
	for i, c := range r.videos { // the first more wanted than the second
		r.src.hear(c, float64(8-4*i), r.clock.Now())
	}
	first, second := r.videos[0], r.videos[1]
	a := r.engine(library.WithFetchesPerRound(1))

	if rep := r.round(a); !cidsEqual(rep.Fetched, r.videos[:1]) {
		t.Fatalf("first round fetched %v, want the most wanted video", rep.Fetched)
	}
	// The second video's fetch runs at 256 KiB/s: 32 s for 8 MiB.
	r.vol.SetDownloadLimit(256 << 10)
	before := r.vol.BytesFetchedForSeeding()
	type result struct {
		rep library.RoundReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := a.Round(r.ctx)
		done <- result{rep, err}
	}()
	waitFor(t, "the second fetch to be under way", func() bool {
		return r.vol.BytesFetchedForSeeding()-before >= 1<<20
	})
	a.SetPaused(true)
	if !a.Paused() {
		t.Fatal("Paused() false after SetPaused(true)")
	}
	var cut result
	select {
	case cut = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the round still fetching 10 s after pausing")
	}
	if cut.err != nil || len(cut.rep.Fetched) > 0 || len(cut.rep.Demoted) > 0 || !strings.Contains(cut.rep.Message, "paused") {
		t.Fatalf("round cut by the pause: %+v, %v; want nothing fetched or demoted and a paused message", cut.rep, cut.err)
	}
	partial := r.local(second)
	if v, err := r.cat.Get(r.ctx, second); err != nil || !v.Kept.Has(library.AutoSeeded) {
		t.Fatalf("the cut video lost its auto-seeded mark: %v, %v", v.Kept, err)
	}
	if partial <= 0 || partial >= seedSize {
		t.Fatalf("%d bytes of the cut video local, want part of it", partial)
	}

	announced := len(r.src.announcements())
	rep := r.round(a)
	if len(rep.Fetched)+len(rep.Resumed)+len(rep.Dropped)+len(rep.Demoted) > 0 || rep.Announced != 0 {
		t.Fatalf("paused round did something: %+v", rep)
	}
	if got := len(r.src.announcements()); got != announced {
		t.Fatalf("paused round announced (%d announcements, had %d)", got, announced)
	}
	if !r.seeded(first) {
		t.Fatal("pausing let go of an auto-seeded video")
	}
	if got := r.local(second); got != partial {
		t.Fatalf("paused round fetched: %d bytes local, had %d", got, partial)
	}

	a.SetPaused(false)
	r.vol.SetDownloadLimit(0)
	before = r.vol.BytesFetchedForSeeding()
	if rep := r.round(a); !cidsEqual(rep.Resumed, r.videos[1:]) {
		t.Fatalf("round after resuming: %+v, want the cut fetch resumed", rep)
	}
	if !r.seeded(second) || !r.seeded(first) {
		t.Fatal("not both videos seeded after resuming")
	}
	if got := r.vol.BytesFetchedForSeeding() - before; got != seedSize-partial {
		t.Fatalf("resuming fetched %d bytes, want the %d missing", got, seedSize-partial)
	}
}

// A pause that comes between rounds stops the next round's fetch before
// it starts; an engine started paused fetches nothing.
func TestAutoSeedStartsPaused(t *testing.T) {
	r := newSeedRig(t, 1)
	r.src.hear(r.videos[0], 8, r.clock.Now())
	a := r.engine(library.WithSeedingPaused(true))
	if !a.Paused() {
		t.Fatal("WithSeedingPaused(true) engine not paused")
	}
	if rep := r.round(a); len(rep.Fetched) > 0 || rep.Message == "" {
		t.Fatalf("paused engine's round: %+v", rep)
	}
	if lookups := r.src.lookupCount(); lookups != 0 {
		t.Fatalf("paused engine made %d network lookups", lookups)
	}
	a.SetPaused(false)
	if rep := r.round(a); !cidsEqual(rep.Fetched, r.videos) {
		t.Fatalf("round after resuming: %+v", rep)
	}
}

func TestParseSeedHours(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", "always"}, {"always", "always"}, {" Always ", "always"},
		{"23:00-07:00", "23:00-07:00"}, {"7:05 - 9:30", "07:05-09:30"}, {"00:00-23:59", "00:00-23:59"},
	} {
		h, err := library.ParseSeedHours(tc.in)
		if err != nil || h.String() != tc.want {
			t.Errorf("ParseSeedHours(%q) = %v, %v; want %s", tc.in, h, err, tc.want)
		}
	}
	for _, bad := range []string{"23:00", "night", "24:00-07:00", "23:60-07:00", "23-07", "23:00-07:00-09:00",
		"123:00-07:00", "23:0-07:00", "-1:00-07:00", "08:00-08:00", "a:bc-07:00",
		"+7:00-08:00", "07:+5-08:00", "07:00--0:00"} {
		if h, err := library.ParseSeedHours(bad); err == nil {
			t.Errorf("ParseSeedHours(%q) = %v, want an error", bad, h)
		} else if !strings.Contains(err.Error(), "seeding hours") {
			t.Errorf("ParseSeedHours(%q): %v does not say what it read", bad, err)
		}
	}
}

func TestSeedHoursWindow(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2025, 3, 1, h, m, 0, 0, time.UTC) }
	night, _ := library.ParseSeedHours("23:00-07:00")
	day, _ := library.ParseSeedHours("09:30-17:00")
	for _, tc := range []struct {
		hours library.SeedHours
		t     time.Time
		open  bool
		next  time.Time
	}{
		{night, at(22, 59), false, at(23, 0)},
		{night, at(23, 0), true, at(31, 0)}, // 07:00 the next day
		{night, at(3, 0), true, at(7, 0)},
		{night, at(7, 0), false, at(23, 0)},
		{day, at(9, 29), false, at(9, 30)},
		{day, at(12, 0), true, at(17, 0)},
		{day, at(17, 0), false, at(33, 30)}, // 09:30 the next day
	} {
		if got := tc.hours.Open(tc.t); got != tc.open {
			t.Errorf("%v.Open(%v) = %v", tc.hours, tc.t, got)
		}
		if got := tc.hours.NextChange(tc.t); !got.Equal(tc.next) {
			t.Errorf("%v.NextChange(%v) = %v, want %v", tc.hours, tc.t, got, tc.next)
		}
	}
	var always library.SeedHours
	if !always.Open(at(3, 0)) || !always.Always() || !always.NextChange(at(3, 0)).IsZero() {
		t.Error("the zero SeedHours is not always open")
	}
}

// WatchSeedHours follows a night window through a day of a fake clock,
// calling apply at once and at each edge only, and notices a clock set
// forward within its re-check.
func TestWatchSeedHours(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2025, 3, 1, h, m, 0, 0, time.Local) }
	night, _ := library.ParseSeedHours("23:00-07:00")
	clk := testclock.New(day(20, 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := make(chan bool, 16)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		library.WatchSeedHours(ctx, night, clk, func(open bool) { calls <- open })
	}()
	expect := func(want bool) {
		t.Helper()
		select {
		case got := <-calls:
			if got != want {
				t.Fatalf("apply(%v), want apply(%v) at %v", got, want, clk.Now())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no apply(%v) at %v", want, clk.Now())
		}
	}
	expect(false) // 20:00
	for m := 1; m <= 179; m++ {
		clk.Step(t, day(20, 0).Add(time.Duration(m)*time.Minute)) // minute by minute to 22:59
	}
	select {
	case got := <-calls:
		t.Fatalf("apply(%v) before the window opened (%v)", got, clk.Now())
	default:
	}
	clk.Step(t, day(23, 0))
	expect(true)
	clk.Step(t, day(23, 0).Add(8*time.Hour)) // the machine slept through 07:00
	expect(false)
	cancel()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("WatchSeedHours still running after its context ended")
	}

	// "always" applies once and returns.
	var always library.SeedHours
	library.WatchSeedHours(context.Background(), always, clk, func(open bool) { calls <- open })
	expect(true)
}
