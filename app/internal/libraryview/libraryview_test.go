package libraryview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui/uitest"
	"github.com/ipfs-tube/ipfs-tube/library"
)

// node is the part of the node the view asks for: it serves posters from
// memory and, like the app's shell, records pins and removals in the real
// catalog. It is a fake because this package has no node of its own;
// every catalog effect is real.
type node struct {
	cat *library.Catalog

	mu         sync.Mutex
	posters    map[string][]byte
	posterErr  map[string]error
	hold       map[string]chan struct{} // poster fetches that wait for a close or ctx
	posterHits map[string]int
	calls      []string // "pin CID", "unpin CID", "remove CID"
	pinGate    chan struct{}
}

func newNode(cat *library.Catalog) *node {
	return &node{cat: cat, posters: map[string][]byte{}, posterErr: map[string]error{},
		hold: map[string]chan struct{}{}, posterHits: map[string]int{}}
}

func (n *node) Poster(ctx context.Context, c cid.Cid) ([]byte, error) {
	n.mu.Lock()
	n.posterHits[c.KeyString()]++
	b, err, hold := n.posters[c.KeyString()], n.posterErr[c.KeyString()], n.hold[c.KeyString()]
	n.mu.Unlock()
	if err := waitGate(ctx, hold); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("no providers for poster")
	}
	return b, nil
}

// waitGate holds a call until gate closes (a nil gate is open) or ctx
// ends, as a slow network would.
func waitGate(ctx context.Context, gate chan struct{}) error {
	if gate == nil {
		return nil
	}
	select {
	case <-gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (n *node) record(call string) {
	n.mu.Lock()
	n.calls = append(n.calls, call)
	n.mu.Unlock()
}

func (n *node) called(call string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Contains(n.calls, call)
}

func (n *node) hits(c cid.Cid) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.posterHits[c.KeyString()]
}

func (n *node) Pin(ctx context.Context, c cid.Cid) error {
	n.record("pin " + c.String())
	n.mu.Lock()
	gate := n.pinGate
	n.mu.Unlock()
	if err := waitGate(ctx, gate); err != nil {
		return err
	}
	_, err := n.cat.SetKept(ctx, c, library.Pinned, true)
	return err
}

func (n *node) Unpin(ctx context.Context, c cid.Cid) error {
	n.record("unpin " + c.String())
	_, err := n.cat.SetKept(ctx, c, library.Pinned, false)
	return err
}

func (n *node) RemoveFromCache(ctx context.Context, c cid.Cid) error {
	n.record("remove " + c.String())
	_, err := n.cat.SetBytesLocal(ctx, c, 0)
	return err
}

var _ Actions = (*node)(nil)

func testCid(t *testing.T, s string) cid.Cid {
	t.Helper()
	h, err := mh.Sum([]byte(s), mh.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, h)
}

func jpegBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 0x80, A: 0xff})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type harness struct {
	t      *testing.T
	cat    *library.Catalog
	node   *node
	loop   *uitest.Loop
	view   *View
	win    fyne.Window
	played chan library.Video
}

func openCatalog(t *testing.T) *library.Catalog {
	t.Helper()
	cat, err := library.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close() })
	return cat
}

// start opens the view on cat in a test window big enough for a dozen
// tiles.
func start(t *testing.T, cat *library.Catalog, opts ...Option) *harness {
	t.Helper()
	test.NewTempApp(t)
	h := &harness{t: t, cat: cat, node: newNode(cat), loop: uitest.NewLoop(), played: make(chan library.Video, 8)}
	h.view = New(context.Background(), cat, h.node, append([]Option{
		withUIThread(h.loop.Post),
		WithDebounce(20 * time.Millisecond),
		OnPlay(func(v library.Video) { h.played <- v })}, opts...)...)
	t.Cleanup(func() {
		h.view.Close()
		h.view.Close() // idempotent
		done := make(chan struct{})
		go func() { h.view.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(uitest.WaitLimit):
			t.Error("view goroutines still running after Close")
		}
	})
	h.win = test.NewTempWindow(t, h.view.Content())
	h.win.Resize(fyne.NewSize(1200, 900))
	return h
}

func (h *harness) put(v library.Video) library.Video {
	h.t.Helper()
	if err := h.cat.Put(context.Background(), v); err != nil {
		h.t.Fatal(err)
	}
	return v
}

// tiles are the tiles on screen, in grid order.
func (h *harness) tiles() []*tile {
	var out []*tile
	uitest.Walk(h.view.grid, func(o fyne.CanvasObject, _ fyne.Tappable) {
		if t, ok := o.(*tile); ok && t.bound {
			out = append(out, t)
		}
	})
	return out
}

func (h *harness) titles() []string {
	var out []string
	for _, t := range h.tiles() {
		out = append(out, t.title.Text)
	}
	return out
}

func (h *harness) tile(title string) *tile {
	for _, t := range h.tiles() {
		if t.title.Text == title {
			return t
		}
	}
	return nil
}

func (t *tile) badgeTexts() []string {
	var out []string
	for _, c := range t.chips {
		if c.box.Visible() {
			out = append(out, c.text.Text)
		}
	}
	return out
}

func (h *harness) waitTitles(want ...string) {
	h.t.Helper()
	if want == nil {
		want = []string{}
	}
	h.loop.WaitFor(h.t, fmt.Sprintf("tiles %q", want), func() bool {
		got := h.titles()
		if got == nil {
			got = []string{}
		}
		return slices.Equal(got, want)
	})
}

func (h *harness) waitBadges(title string, want ...string) {
	h.t.Helper()
	h.loop.WaitFor(h.t, fmt.Sprintf("%q badges %q", title, want), func() bool {
		t := h.tile(title)
		return t != nil && slices.Equal(t.badgeTexts(), want)
	})
}

// textOf is the text a widget shows, for finding buttons and menu items.
func textOf(o fyne.CanvasObject) string {
	switch x := o.(type) {
	case *canvas.Text:
		return x.Text
	case *widget.Label:
		return x.Text
	case *widget.Button:
		return x.Text
	case *widget.RichText:
		return x.String()
	}
	return ""
}

// tappable finds, among the overlays (menus, dialogs), the innermost
// tappable object showing text.
func (h *harness) tappable(text string) fyne.Tappable {
	var found fyne.Tappable
	for _, top := range h.win.Canvas().Overlays().List() {
		uitest.Walk(top, func(o fyne.CanvasObject, owner fyne.Tappable) {
			if owner != nil && textOf(o) == text {
				found = owner
			}
		})
	}
	return found
}

func (h *harness) overlayShows(text string) bool {
	shown := false
	for _, top := range h.win.Canvas().Overlays().List() {
		uitest.Walk(top, func(o fyne.CanvasObject, _ fyne.Tappable) {
			if strings.Contains(textOf(o), text) {
				shown = true
			}
		})
	}
	return shown
}

// pick opens title's menu with its ⋮ button and taps item.
func (h *harness) pick(title, item string) {
	h.t.Helper()
	tl := h.tile(title)
	if tl == nil {
		h.t.Fatalf("no tile %q; tiles %q", title, h.titles())
	}
	test.Tap(tl.more)
	it := h.tappable(item)
	if it == nil {
		h.t.Fatalf("menu of %q has no item %q", title, item)
	}
	test.Tap(it)
}

func TestGridShowsCatalog(t *testing.T) {
	cat := openCatalog(t)
	now := time.Now()
	var h *harness
	videos := []library.Video{
		{Cid: testCid(t, "a"), Title: "Cached clip", Duration: 83 * time.Second, Size: 200 << 20,
			BytesLocal: 84 << 20, Height: 720, Kept: library.Cache, Added: now.Add(-5 * time.Hour)},
		{Cid: testCid(t, "b"), Title: "Pinned talk", Duration: 75 * time.Minute, Size: 3 << 30,
			BytesLocal: 3 << 30, Kept: library.Pinned, Added: now.Add(-4 * time.Hour)},
		{Cid: testCid(t, "c"), Title: "My upload", Duration: 10 * time.Second, Size: 1536 << 20,
			BytesLocal: 1536 << 20, Kept: library.OwnUpload | library.Pinned, Added: now.Add(-3 * time.Hour)},
		{Cid: testCid(t, "d"), Title: "Half pinned", Duration: time.Minute, Size: 100 << 20,
			BytesLocal: 50 << 20, Kept: library.Pinned, Added: now.Add(-2 * time.Hour)},
		{Cid: testCid(t, "e"), Title: "", Size: 0, Added: now.Add(-time.Hour)},
	}
	for _, v := range videos {
		if err := cat.Put(context.Background(), v); err != nil {
			t.Fatal(err)
		}
	}
	begin := time.Now()
	h = start(t, cat)
	// Never watched: newest added first.
	h.waitTitles("Untitled video", "Half pinned", "My upload", "Pinned talk", "Cached clip")
	t.Logf("first load of 5 videos shown after %v", time.Since(begin))

	for _, tc := range []struct {
		title, duration, meta string
		badges                []string
	}{
		{"Cached clip", "1:23", "200 MiB · 720p", []string{"Cached 42%"}},
		{"Pinned talk", "1:15:00", "3.0 GiB", []string{"Pinned", "Seeding"}},
		{"My upload", "0:10", "1.5 GiB", []string{"Your upload", "Pinned", "Seeding"}},
		{"Half pinned", "1:00", "100 MiB", []string{"Pinned", "Cached 50%"}},
		{"Untitled video", "", "Size unknown", []string{"Not cached"}},
	} {
		tl := h.tile(tc.title)
		if tl.duration.Text != tc.duration {
			t.Errorf("%q duration %q, want %q", tc.title, tl.duration.Text, tc.duration)
		}
		if tl.duration.Visible() != (tc.duration != "") {
			t.Errorf("%q duration shown = %v", tc.title, tl.duration.Visible())
		}
		if tl.meta.Text != tc.meta {
			t.Errorf("%q meta %q, want %q", tc.title, tl.meta.Text, tc.meta)
		}
		if got := tl.badgeTexts(); !slices.Equal(got, tc.badges) {
			t.Errorf("%q badges %q, want %q", tc.title, got, tc.badges)
		}
	}
	if got := h.view.count.String(); got != "5 videos" {
		t.Errorf("count %q, want %q", got, "5 videos")
	}
	if h.view.empty.Visible() {
		t.Error("empty state shown over a full grid")
	}

	// Sorting by title: untitled last.
	h.view.sortSel.SetSelectedIndex(2)
	h.waitTitles("Cached clip", "Half pinned", "My upload", "Pinned talk", "Untitled video")

	// A tap plays; so does the menu's Play.
	test.Tap(h.tile("Pinned talk"))
	if got := <-h.played; !got.Cid.Equals(videos[1].Cid) {
		t.Errorf("tap played %s, want %s", got.Cid, videos[1].Cid)
	}
	h.pick("My upload", "Play")
	if got := <-h.played; !got.Cid.Equals(videos[2].Cid) {
		t.Errorf("menu Play played %s, want %s", got.Cid, videos[2].Cid)
	}
}

func TestCatalogChangesAppearLive(t *testing.T) {
	cat := openCatalog(t)
	h := start(t, cat)
	h.waitTitles()
	a := h.put(library.Video{Cid: testCid(t, "a"), Title: "First", Size: 10 << 20, BytesLocal: 1 << 20})
	h.waitTitles("First")
	h.waitBadges("First", "Cached 10%")

	// Watch progress arrives the way the player records it.
	if _, err := cat.SetBytesLocal(context.Background(), a.Cid, 10<<20); err != nil {
		t.Fatal(err)
	}
	h.waitBadges("First", "Cached 100%")
	if _, err := cat.Update(context.Background(), a.Cid, func(v *library.Video) error {
		v.Title = "Renamed"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.waitTitles("Renamed")

	// A burst of changes (a playing video records its position every few
	// seconds, many videos at once here) ends in one consistent grid.
	for i := range 30 {
		h.put(library.Video{Cid: testCid(t, fmt.Sprint("burst", i)), Title: fmt.Sprintf("Burst %02d", i), Added: time.Now()})
	}
	h.loop.WaitFor(t, "31 videos counted", func() bool { return h.view.count.String() == "31 videos" })
	if err := cat.Delete(context.Background(), a.Cid); err != nil {
		t.Fatal(err)
	}
	h.loop.WaitFor(t, "deleted video gone", func() bool {
		return h.view.count.String() == "30 videos" && h.tile("Renamed") == nil
	})
}

func TestSearchFiltersByTitle(t *testing.T) {
	cat := openCatalog(t)
	for i, title := range []string{"Café lecture", "Rust talk", "Cooking pasta", "Cafeteria tour"} {
		if err := cat.Put(context.Background(), library.Video{Cid: testCid(t, title), Title: title,
			Added: time.Now().Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	h := start(t, cat)
	h.waitTitles("Cafeteria tour", "Cooking pasta", "Rust talk", "Café lecture")

	test.Type(h.view.search, "cafe")
	h.loop.WaitFor(t, "two matches", func() bool {
		got := h.titles()
		slices.Sort(got)
		return slices.Equal(got, []string{"Cafeteria tour", "Café lecture"}) && h.view.count.String() == "2 matches"
	})
	// A change while searching keeps the filter.
	h.put(library.Video{Cid: testCid(t, "new"), Title: "Cafe racer build"})
	h.put(library.Video{Cid: testCid(t, "other"), Title: "Gardening"})
	h.loop.WaitFor(t, "new match added, non-match left out", func() bool {
		return h.view.count.String() == "3 matches" && h.tile("Cafe racer build") != nil && h.tile("Gardening") == nil
	})

	h.view.search.SetText("zzz")
	h.waitTitles()
	if !h.view.empty.Visible() || h.view.emptyTitle.Text != "No videos match “zzz”" {
		t.Errorf("no-match state: shown %v, title %q", h.view.empty.Visible(), h.view.emptyTitle.Text)
	}
	h.view.search.SetText("")
	h.loop.WaitFor(t, "everything back", func() bool { return len(h.titles()) == 6 && !h.view.empty.Visible() })
}

func TestPinAndUnpin(t *testing.T) {
	cat := openCatalog(t)
	h := start(t, cat)
	v := h.put(library.Video{Cid: testCid(t, "v"), Title: "Clip", Size: 1 << 20, BytesLocal: 1 << 20, Kept: library.Cache})
	h.waitBadges("Clip", "Cached 100%")

	gate := make(chan struct{})
	h.node.mu.Lock()
	h.node.pinGate = gate
	h.node.mu.Unlock()
	h.pick("Clip", "Pin")
	// While the node works the tile says so, and the UI thread is free.
	h.waitBadges("Clip", "Pinning…")
	h.loop.WaitFor(t, "Pin called", func() bool { return h.node.called("pin " + v.Cid.String()) })
	test.Tap(h.tile("Clip").more)
	if it := h.tappable("Pinning…"); it == nil {
		t.Error("menu of a video being pinned should show a disabled “Pinning…”")
	} else {
		test.Tap(it) // disabled: nothing happens
	}
	h.win.Canvas().Overlays().Top().Hide()
	close(gate)
	h.waitBadges("Clip", "Pinned", "Seeding")

	h.pick("Clip", "Unpin")
	h.loop.WaitFor(t, "Unpin called", func() bool { return h.node.called("unpin " + v.Cid.String()) })
	h.waitBadges("Clip", "Cached 100%")
	got, err := cat.Get(context.Background(), v.Cid)
	if err != nil || got.Kept.Has(library.Pinned) {
		t.Errorf("after unpin: kept %v, err %v", got.Kept, err)
	}
}

// TestAutoSeededTileSeeding: a complete auto-seeded video is seeded for
// others, so its tile says "Seeding" as the Seeding page lists it; when
// auto-seeding lets go, it is cache again.
func TestAutoSeededTileSeeding(t *testing.T) {
	cat := openCatalog(t)
	h := start(t, cat)
	v := h.put(library.Video{Cid: testCid(t, "popular"), Title: "Popular", Size: 1 << 20, BytesLocal: 1 << 20,
		Kept: library.AutoSeeded})
	h.waitBadges("Popular", "Seeding")
	if _, err := cat.SetKept(context.Background(), v.Cid, library.AutoSeeded, false); err != nil {
		t.Fatal(err)
	}
	h.waitBadges("Popular", "Cached 100%")
}

func TestActionFailureShowsMessage(t *testing.T) {
	cat := openCatalog(t)
	h := start(t, cat)
	h.put(library.Video{Cid: testCid(t, "v"), Title: "Clip"})
	h.waitTitles("Clip")
	// Closing the catalog makes the node's SetKept fail for real.
	if err := cat.Close(); err != nil {
		t.Fatal(err)
	}
	h.pick("Clip", "Pin")
	h.loop.WaitFor(t, "error banner", func() bool {
		return h.view.banner.Visible() && strings.HasPrefix(h.view.bannerText.Text, "Could not pin “Clip”:")
	})
	h.waitBadges("Clip", "Not cached")
}

func TestRemoveFromCacheAsksFirst(t *testing.T) {
	cat := openCatalog(t)
	h := start(t, cat)
	v := h.put(library.Video{Cid: testCid(t, "v"), Title: "Big film", Size: 700 << 20, BytesLocal: 350 << 20, Kept: library.Cache})
	h.waitBadges("Big film", "Cached 50%")

	h.pick("Big film", "Remove from cache…")
	if !h.overlayShows("Remove from cache?") || !h.overlayShows("350 MiB") {
		t.Fatal("no confirmation dialog naming the space freed")
	}
	test.Tap(h.tappable("Cancel"))
	h.loop.Drain()
	if h.node.called("remove " + v.Cid.String()) {
		t.Fatal("RemoveFromCache called although the user cancelled")
	}

	h.pick("Big film", "Remove from cache…")
	test.Tap(h.tappable("Remove"))
	h.loop.WaitFor(t, "RemoveFromCache called", func() bool { return h.node.called("remove " + v.Cid.String()) })
	h.waitBadges("Big film", "Not cached")

	// Nothing left to remove: the item is disabled.
	test.Tap(h.tile("Big film").more)
	defer h.win.Canvas().Overlays().Top().Hide()
	menu := h.view.menu(h.tile("Big film").video)
	for _, it := range menu.Items {
		if it.Label == "Remove from cache…" && !it.Disabled {
			t.Error("Remove from cache enabled for a video with nothing on disk")
		}
	}
}

func TestCopyLink(t *testing.T) {
	cat := openCatalog(t)
	h := start(t, cat)
	withDir := h.put(library.Video{Cid: testCid(t, "f"), Dir: testCid(t, "dir"), Title: "Published"})
	bare := h.put(library.Video{Cid: testCid(t, "g"), Title: "Bare file"})
	h.loop.WaitFor(t, "two tiles", func() bool { return len(h.titles()) == 2 })
	clip := fyne.CurrentApp().Clipboard()

	h.pick("Published", "Copy link")
	if got, want := clip.Content(), "ipfs://"+withDir.Dir.String(); got != want {
		t.Errorf("copied %q, want the directory link %q", got, want)
	}
	h.pick("Bare file", "Copy link")
	if got, want := clip.Content(), "ipfs://"+bare.Cid.String(); got != want {
		t.Errorf("copied %q, want %q", got, want)
	}
	if !h.view.banner.Visible() || !strings.Contains(h.view.bannerText.Text, "Link copied") {
		t.Errorf("no confirmation after copying: %q", h.view.bannerText.Text)
	}
}

func TestPosters(t *testing.T) {
	cat := openCatalog(t)
	good, bad, slow := testCid(t, "good poster"), testCid(t, "bad poster"), testCid(t, "slow poster")
	h := start(t, cat)
	h.node.mu.Lock()
	h.node.posters[good.KeyString()] = jpegBytes(t, 1280, 720)
	h.node.posterErr[bad.KeyString()] = errors.New("no providers")
	h.node.hold[slow.KeyString()] = make(chan struct{}) // never answers; Close must still end
	h.node.mu.Unlock()
	h.put(library.Video{Cid: testCid(t, "1"), Title: "Good", Poster: good})
	h.put(library.Video{Cid: testCid(t, "2"), Title: "Bad", Poster: bad})
	h.put(library.Video{Cid: testCid(t, "3"), Title: "Slow", Poster: slow})
	h.put(library.Video{Cid: testCid(t, "4"), Title: "None"})

	h.loop.WaitFor(t, "good poster drawn, bad one a placeholder", func() bool {
		g, b := h.tile("Good"), h.tile("Bad")
		return g != nil && b != nil && g.image.Visible() && g.image.Image != nil && b.poster == posterFailed
	})
	img := h.tile("Good").image.Image
	if w, ht := img.Bounds().Dx(), img.Bounds().Dy(); w != posterMaxW || ht != posterMaxH {
		t.Errorf("cached poster %d×%d, want it shrunk to %d×%d", w, ht, posterMaxW, posterMaxH)
	}
	for _, title := range []string{"Bad", "None"} {
		tl := h.tile(title)
		if tl.image.Visible() || !tl.filmIcon.Visible() {
			t.Errorf("%q: poster shown %v, placeholder icon %v; want the placeholder", title, tl.image.Visible(), tl.filmIcon.Visible())
		}
	}
	// Still loading: a plain placeholder, the rest of the tile complete.
	sl := h.tile("Slow")
	if sl.image.Visible() || sl.filmIcon.Visible() || sl.poster != posterLoading {
		t.Errorf("slow poster: image %v, icon %v, state %v", sl.image.Visible(), sl.filmIcon.Visible(), sl.poster)
	}
	// Redraws come from the cache and do not fetch again, failures
	// included.
	hits := h.node.hits(good) + h.node.hits(bad)
	h.view.grid.Refresh()
	h.put(library.Video{Cid: testCid(t, "5"), Title: "Another"})
	h.loop.WaitFor(t, "fifth tile", func() bool { return h.tile("Another") != nil })
	if again := h.node.hits(good) + h.node.hits(bad); again != hits {
		t.Errorf("posters fetched %d times after redraws, want %d", again, hits)
	}
}

func TestEmptyLibrary(t *testing.T) {
	cat := openCatalog(t)
	h := start(t, cat)
	h.loop.WaitFor(t, "empty state", func() bool { return h.view.empty.Visible() })
	if got := h.view.emptyTitle.Text; got != "Your library is empty" {
		t.Errorf("empty title %q", got)
	}
	if got := h.view.emptyHint.Text; got != "Open a link or drop a video to start." {
		t.Errorf("empty hint %q", got)
	}
	if h.view.grid.Visible() || h.view.retry.Visible() {
		t.Error("grid or retry button shown in an empty library")
	}
	h.put(library.Video{Cid: testCid(t, "x"), Title: "First video"})
	h.waitTitles("First video")
	if h.view.empty.Visible() {
		t.Error("empty state still shown")
	}
}

func TestUnreadableCatalogShowsError(t *testing.T) {
	cat := openCatalog(t)
	if err := cat.Close(); err != nil {
		t.Fatal(err)
	}
	h := start(t, cat)
	h.loop.WaitFor(t, "error state", func() bool { return h.view.empty.Visible() && h.view.retry.Visible() })
	if got := h.view.emptyTitle.Text; got != "Could not open the library" {
		t.Errorf("title %q", got)
	}
	if !strings.Contains(h.view.emptyHint.Text, library.ErrClosed.Error()) {
		t.Errorf("hint %q does not say why", h.view.emptyHint.Text)
	}
}

func TestDecodePoster(t *testing.T) {
	small, err := decodePoster(jpegBytes(t, 160, 90))
	if err != nil || small.Bounds().Dx() != 160 {
		t.Errorf("small poster: %v, %v (kept as is)", small.Bounds(), err)
	}
	tall, err := decodePoster(jpegBytes(t, 500, 1000))
	if err != nil || tall.Bounds().Dy() != posterMaxH || tall.Bounds().Dx() != 108 {
		t.Errorf("portrait poster shrunk to %v, %v; want 108×%d", tall.Bounds(), err, posterMaxH)
	}
	if _, err := decodePoster([]byte("not an image")); err == nil {
		t.Error("garbage decoded")
	}
	// A header claiming a huge image is refused before decoding it.
	huge := jpegBytes(t, 16, 16)
	i := bytes.Index(huge, []byte{0xff, 0xc0}) // SOF0: then length, precision, height, width
	huge[i+5], huge[i+6], huge[i+7], huge[i+8] = 0xff, 0xff, 0xff, 0xff
	if _, err := decodePoster(huge); !errors.Is(err, errPosterTooBig) {
		t.Errorf("65535×65535 poster: %v, want errPosterTooBig", err)
	}
}

func TestThousandsOfVideos(t *testing.T) {
	const n = 3000
	cat := openCatalog(t)
	base := time.Now().Add(-n * time.Minute)
	for i := range n {
		if err := cat.Put(context.Background(), library.Video{Cid: testCid(t, fmt.Sprint(i)),
			Title: fmt.Sprintf("Video %04d", i), Size: int64(i) << 20, Duration: time.Duration(i) * time.Second,
			Added: base.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	begin := time.Now()
	h := start(t, cat)
	h.loop.WaitFor(t, "3000 videos counted", func() bool { return h.view.count.String() == "3000 videos" })
	loaded := time.Since(begin)
	// Virtualised: only what fits on screen (plus a row) exists as tiles.
	if shown := len(h.tiles()); shown == 0 || shown > 40 {
		t.Errorf("%d tiles on screen for %d videos", shown, n)
	}
	if got := h.titles()[0]; got != "Video 2999" {
		t.Errorf("first tile %q, want the newest", got)
	}

	begin = time.Now()
	h.put(library.Video{Cid: testCid(t, "newest"), Title: "Just added", Added: time.Now()})
	h.loop.WaitFor(t, "new video first", func() bool { return h.titles()[0] == "Just added" })
	change := time.Since(begin)

	begin = time.Now()
	h.view.search.SetText("video 2999")
	h.loop.WaitFor(t, "search results", func() bool { return h.view.count.String() == "1 match" })
	search := time.Since(begin)
	t.Logf("%d videos: first load %v, change shown after %v (debounce 20 ms), search %v", n, loaded, change, search)
}
