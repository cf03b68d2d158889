package libraryview

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/library"
)

// dht answers provider counts from the test's table: a stand-in for the
// node's DHT, which needs a network of providers the view cannot make.
// Lookups wait while gate is set, as a slow DHT walk does.
type dht struct {
	mu     sync.Mutex
	counts map[string]int
	errs   map[string]error
	calls  map[string]int
	gate   chan struct{}
}

func newDHT() *dht {
	return &dht{counts: map[string]int{}, errs: map[string]error{}, calls: map[string]int{}}
}

func (d *dht) CountProviders(ctx context.Context, c cid.Cid, max int) (int, error) {
	d.mu.Lock()
	d.calls[c.KeyString()]++
	gate := d.gate
	d.mu.Unlock()
	if err := waitGate(ctx, gate); err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return min(d.counts[c.KeyString()], max), d.errs[c.KeyString()]
}

func (d *dht) set(c cid.Cid, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.counts[c.KeyString()] = n
}

func (d *dht) callsFor(c cid.Cid) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[c.KeyString()]
}

var _ Providers = (*dht)(nil)

// startCounting opens the view, counting copies with d, on a catalog
// holding videos, each of which d says counts[i] other nodes provide.
func startCounting(t *testing.T, d *dht, videos []library.Video, counts []int, opts ...Option) *harness {
	t.Helper()
	cat := openCatalog(t)
	for i, v := range videos {
		if err := cat.Put(context.Background(), v); err != nil {
			t.Fatal(err)
		}
		d.set(v.Cid, counts[i])
	}
	return start(t, cat, append([]Option{WithProviders(d)}, opts...)...)
}

// upload is an own upload, complete on disk, as the upload flow records it.
func upload(t *testing.T, name string, added time.Time) library.Video {
	return library.Video{Cid: testCid(t, name), Title: name, Size: 10 << 20, BytesLocal: 10 << 20,
		Kept: library.OwnUpload, Added: added}
}

func TestOwnUploadsShowCopies(t *testing.T) {
	d := newDHT()
	d.errs[testCid(t, "Unreachable").KeyString()] = errors.New("no DHT peers")
	now := time.Now()
	h := startCounting(t, d, []library.Video{
		upload(t, "Shared", now.Add(-4*time.Minute)), upload(t, "Lonely", now.Add(-3*time.Minute)),
		upload(t, "Popular", now.Add(-2*time.Minute)), upload(t, "Unreachable", now.Add(-time.Minute)),
		{Cid: testCid(t, "Watched"), Title: "Watched", Size: 10 << 20, BytesLocal: 5 << 20, Kept: library.Cache, Added: now},
	}, []int{3, 0, 12, 0, 5})

	h.waitBadges("Shared", "Your upload", "Seeding", "+3 copies")
	h.waitBadges("Lonely", "Your upload", "Seeding", "Only here")
	h.waitBadges("Popular", "Your upload", "Seeding", "+8 copies")
	// A failed lookup shows nothing rather than a wrong zero.
	h.loop.WaitFor(t, "the failed lookup done", func() bool { return d.callsFor(testCid(t, "Unreachable")) == 1 })
	h.waitBadges("Unreachable", "Your upload", "Seeding")
	h.waitBadges("Watched", "Cached 50%")
	if n := d.callsFor(testCid(t, "Watched")); n != 0 {
		t.Errorf("a video that is not an own upload was looked up %d times", n)
	}
	lonely := h.tile("Lonely")
	if got := lonely.chips[2].text.Color; got != theme.Color(theme.ColorNameError) {
		t.Errorf("“Only here” in %v, want the error colour", got)
	}
	// Other videos' menus have no count.
	test.Tap(h.tile("Watched").more)
	if h.tappable("Count copies now") != nil {
		t.Error("“Count copies now” offered on a video that is not an own upload")
	}
}

// Lookups that hang never hold the window: the grid keeps answering
// searches and changes while a tile says it is counting.
func TestCopiesLookupNeverBlocksUI(t *testing.T) {
	d := newDHT()
	gate := make(chan struct{})
	d.gate = gate
	h := startCounting(t, d, []library.Video{upload(t, "Mine", time.Now())}, []int{2})
	h.waitBadges("Mine", "Your upload", "Seeding", "Counting…")

	h.put(library.Video{Cid: testCid(t, "other"), Title: "Another", Added: time.Now().Add(time.Minute)})
	h.waitTitles("Another", "Mine")
	test.Type(h.view.search, "anoth")
	h.waitTitles("Another")
	h.view.search.SetText("")
	h.waitTitles("Another", "Mine")
	h.waitBadges("Mine", "Your upload", "Seeding", "Counting…")

	close(gate)
	h.waitBadges("Mine", "Your upload", "Seeding", "+2 copies")
}

// A count is cached: catalog changes redraw the tile without asking
// again. The menu asks at once; a new upload is counted without waiting
// for the refresh; the refresh itself picks up a change.
func TestCopiesCachedRefreshedAndOnDemand(t *testing.T) {
	d := newDHT()
	mine := upload(t, "Mine", time.Now())
	h := startCounting(t, d, []library.Video{mine}, []int{1})
	cat := h.cat
	h.waitBadges("Mine", "Your upload", "Seeding", "+1 copy")

	// Watch progress and a rename: redrawn from the cache.
	for i := range 5 {
		if _, err := cat.RecordWatch(context.Background(), mine.Cid, time.Duration(i)*time.Second, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cat.Update(context.Background(), mine.Cid, func(v *library.Video) error { v.Title = "Renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	h.waitTitles("Renamed")
	h.waitBadges("Renamed", "Your upload", "Seeding", "+1 copy")
	if n := d.callsFor(mine.Cid); n != 1 {
		t.Fatalf("looked up %d times within the refresh interval, want once", n)
	}

	// Asked from the menu: at once.
	d.set(mine.Cid, 5)
	h.pick("Renamed", "Count copies now")
	h.waitBadges("Renamed", "Your upload", "Seeding", "+5 copies")
	if n := d.callsFor(mine.Cid); n != 2 {
		t.Errorf("looked up %d times after asking, want twice", n)
	}

	// A new upload is counted as it appears, not at the next refresh.
	fresh := upload(t, "Fresh", time.Now().Add(time.Hour))
	d.set(fresh.Cid, 0)
	h.put(fresh)
	h.waitBadges("Fresh", "Your upload", "Seeding", "Only here")
}

// The widest badges an own upload can show fit its tile.
func TestCopiesBadgesFitTile(t *testing.T) {
	d := newDHT()
	pinned := upload(t, "Pinned upload", time.Now())
	pinned.Kept |= library.Pinned
	partly := upload(t, "Partly here", time.Now().Add(time.Minute))
	partly.BytesLocal = partly.Size - 1
	h := startCounting(t, d, []library.Video{pinned, partly}, []int{12, 12})
	h.waitBadges("Pinned upload", "Your upload", "Seeding", "+8 copies")
	h.waitBadges("Partly here", "Your upload", "Cached 99%", "+8 copies")
	for _, tl := range h.tiles() {
		if w := tl.row.MinSize().Width; w > tileWidth {
			t.Errorf("%q: badges %q take %.0f of the tile's %d points", tl.title.Text, tl.badgeTexts(), w, tileWidth)
		}
	}
}

func TestCopiesRefreshPeriodically(t *testing.T) {
	d := newDHT()
	mine := upload(t, "Mine", time.Now())
	h := startCounting(t, d, []library.Video{mine}, []int{0}, WithProviderRefresh(40*time.Millisecond))
	h.waitBadges("Mine", "Your upload", "Seeding", "Only here")
	d.set(mine.Cid, 4) // a volunteer picked it up
	h.waitBadges("Mine", "Your upload", "Seeding", "+4 copies")
}
