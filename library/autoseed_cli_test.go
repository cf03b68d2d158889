package library_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/library"
)

// roundLines is a slog handler that keeps the text of every record, so a
// test can read what a component logged.
type roundLines struct {
	mu    *sync.Mutex
	lines *[]string
	attrs []slog.Attr
}

func newRoundLines() roundLines { return roundLines{mu: &sync.Mutex{}, lines: &[]string{}} }

func (h roundLines) Enabled(context.Context, slog.Level) bool { return true }

func (h roundLines) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	write := func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.lines = append(*h.lines, b.String())
	return nil
}

func (h roundLines) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return h
}

func (h roundLines) WithGroup(string) slog.Handler { return h }

// take returns the lines starting with prefix logged since the last take
// and forgets every line kept so far.
func (h roundLines) take(prefix string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, l := range *h.lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	*h.lines = nil
	return out
}

// Issue 14: a video published with `ipfs-tube add` (node Import, which
// pins it, and no catalog entry) and fetched whole by four one-shot
// viewers (what `cat` does: read the file, exit) is auto-seeded by a
// volunteer with the default settings within three rounds, and each of
// the volunteer's rounds logs one info line saying what it decided.
//
// Publisher and volunteer run the engine with the default interval,
// window and minimum score; the volunteer's clock steps one interval per
// round, so its rounds integrate what it hears exactly as a minute apart.
func TestAutoSeedSeesCLIAddedVideo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	defaults := []library.AutoSeedOption{library.WithSeedInterval(library.DefaultSeedInterval),
		library.WithAnnounceWindow(library.DefaultAnnounceWindow)}

	// The publisher's engine does not seed: it serves and announces. Its
	// daemon's first round runs at start, before the add.
	pub := newLiveMember(t, defaults...)
	if _, err := pub.a.Round(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := pub.n.Import(ctx, newRandom(1400, seedSize))
	if err != nil {
		t.Fatal(err)
	}
	video := res.Cid
	if page, err := pub.cat.List(ctx, library.ListOptions{}); err != nil || len(page.Videos) != 0 {
		t.Fatalf("add made catalog entries %+v (%v): the test must model a CLI add", page.Videos, err)
	}

	logs := newRoundLines()
	var clockMu sync.Mutex
	clock := time.Now()
	now := func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		return clock
	}
	vol := newLiveMemberWith(t, []library.KeeperOption{library.WithQuota(100e6),
		library.WithEvictionOverhead(library.QuotaSlack), library.WithFreeFloor(0)},
		append(defaults, library.WithSeeding(true), library.WithSeedClock(now),
			library.WithAutoSeedLogger(slog.New(logs)))...)
	connect(t, vol.n, pub.n)

	// The viewers come before the publisher's next round.
	for i := range 4 {
		viewer, _ := startNodeAndCatalog(t, filepath.Join(t.TempDir(), "viewer"))
		connect(t, viewer, pub.n)
		connect(t, viewer, vol.n)
		f, err := viewer.Open(ctx, video)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, f); err != nil || n != seedSize {
			t.Fatalf("viewer %d read %d bytes: %v", i, n, err)
		}
		f.Close()
		viewer.Close() // a one-shot command: gone once it has read
	}
	// The publisher's next round announces the viewings.
	if _, err := pub.a.Round(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for vol.n.Heard()[video].BytesPerSecond == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the volunteer never heard of the viewings: heard %+v; publisher demand %+v, unattributed %+v",
				vol.n.Heard(), pub.n.Demand(), pub.n.UnattributedDemand())
		}
		<-time.After(20 * time.Millisecond)
	}

	nothing := regexp.MustCompile(`decision=nothing: best score [0-9.e-]+ below 0\.5 `)
	seeded := false
	for round := 1; round <= 3 && !seeded; round++ {
		rep, err := vol.a.Round(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lines := logs.take("INFO auto-seed round")
		t.Logf("round %d: %q; score %+v", round, lines, vol.score(video))
		if len(lines) != 1 {
			t.Fatalf("round %d logged %d round lines, want 1: %q", round, len(lines), lines)
		}
		switch {
		case cidsEqual(rep.Fetched, []cid.Cid{video}):
			seeded = true
			if !strings.Contains(lines[0], "seeding "+video.String()) {
				t.Fatalf("round %d seeded the video but logged %q", round, lines[0])
			}
		case len(rep.Fetched) > 0:
			t.Fatalf("round %d fetched %v, want the watched video", round, rep.Fetched)
		case !nothing.MatchString(lines[0]):
			t.Fatalf("round %d fetched nothing and logged %q, want the best score below the minimum", round, lines[0])
		}
		clockMu.Lock()
		clock = clock.Add(library.DefaultSeedInterval)
		clockMu.Unlock()
	}
	if !seeded {
		t.Fatalf("the volunteer did not seed the CLI-added video in three rounds; score %+v, heard %+v",
			vol.score(video), vol.n.Heard()[video])
	}
	if got := vol.holds(t, ctx); !cidsEqual(got, []cid.Cid{video}) {
		t.Fatalf("volunteer holds %v, want the video whole and pinned", got)
	}
}

// An idle engine says so: its round line tells that it heard no demand.
func TestAutoSeedRoundLogsNoDemand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logs := newRoundLines()
	vol := newLiveMember(t, library.WithSeeding(true), library.WithAutoSeedLogger(slog.New(logs)))
	if _, err := vol.a.Round(ctx); err != nil {
		t.Fatal(err)
	}
	lines := logs.take("INFO auto-seed round")
	if len(lines) != 1 || !strings.Contains(lines[0], "nothing: no demand heard") {
		t.Fatalf("idle round logged %q, want one line saying no demand was heard", lines)
	}
}

// PinnedFiles is the app's adapter's: the node's real pins.
func (s *seedNode) PinnedFiles(ctx context.Context, max int) ([]library.PinnedFile, error) {
	return nodelib.Seed{Store: s.store()}.PinnedFiles(ctx, max)
}

// pinsUnlisted is a node whose pin listing fails, as for the pins past
// the round's bound.
type pinsUnlisted struct{ liveSeedNode }

func (pinsUnlisted) PinnedFiles(context.Context, int) ([]library.PinnedFile, error) {
	return nil, errors.New("listing pins: store busy")
}

// A file the user pinned outside the catalog is never taken over by the
// engine, even when the round could not list it: watched here four times
// (a cached catalog entry) and then pinned with `pin add`, it would score
// as a candidate, and the engine would mark it auto-seeded and one day
// unpin and evict the user's pin.
func TestAutoSeedLeavesUnlistedUserPin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := newLiveMember(t)
	logs := newRoundLines()
	a, err := library.NewAutoSeeder(ctx, m.cat, m.k, pinsUnlisted{liveSeedNode{newSeedNode(m.n)}},
		library.WithSeeding(true), library.WithAutoSeedLogger(slog.New(logs)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.n.Import(ctx, newRandom(1401, seedSize)) // imported and pinned, as `pin add` leaves it
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := m.cat.Put(ctx, library.Video{Cid: res.Cid, Title: "Watched", Size: seedSize, BytesLocal: seedSize,
		Kept: library.Cache, WatchCount: 4, FirstWatched: now.Add(-time.Hour), LastWatched: now}); err != nil {
		t.Fatal(err)
	}
	rep, err := a.Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.cat.Get(ctx, res.Cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Fetched) > 0 || v.Kept.Has(library.AutoSeeded) {
		t.Fatalf("the engine took the user's pin over: fetched %v, kept %v", rep.Fetched, v.Kept)
	}
	if pinned, err := m.n.IsPinned(ctx, res.Cid); err != nil || !pinned {
		t.Fatalf("the user's pin is gone: %v %v", pinned, err)
	}
	if lines := logs.take("INFO auto-seed round"); len(lines) != 1 || !strings.Contains(lines[0], "pinned by the user") {
		t.Fatalf("round logged %q, want one line saying the video is the user's pin", lines)
	}
}
