package uploadview

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui/uitest"
	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/internal/uploadtest"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/library/publish"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// rig is the view over a real uploader: a real node (never started: local
// blocks only) and a real catalog in the test's temporary directory.
type rig struct {
	app  fyne.App
	win  fyne.Window
	node *node.Node
	cat  *library.Catalog
	up   *publish.Service
	view *View
}

func newRig(t *testing.T, wrap func(Uploader) Uploader, opts ...Option) *rig {
	t.Helper()
	ctx := context.Background()
	n, cat := uploadtest.Backend(t)
	r := &rig{app: test.NewTempApp(t), node: n, cat: cat, up: uploadtest.Service(n, cat)}
	r.win = test.NewTempWindow(t, widget.NewLabel(""))
	var up Uploader = r.up
	if wrap != nil {
		up = wrap(up)
	}
	r.view = New(ctx, up, append([]Option{WithWindow(r.win)}, opts...)...)
	// Cleanups run last-in first-out: the view closes before the node.
	t.Cleanup(r.view.Close)
	r.win.SetContent(r.view.Content())
	r.win.Resize(fyne.NewSize(1000, 700))
	return r
}

// locked runs fn while no upload goroutine touches widgets.
func (r *rig) locked(fn func()) {
	r.view.mu.Lock()
	defer r.view.mu.Unlock()
	fn()
}

// waitFor polls cond (under the view's lock) until it holds.
func (r *rig) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	uitest.Eventually(t, what, func() bool {
		var ok bool
		r.locked(func() { ok = cond() })
		return ok
	})
}

func (r *rig) rows() []*row {
	var rows []*row
	r.locked(func() { rows = append(rows, r.view.rows...) })
	return rows
}

func showsEmptyState(v *View) bool { return len(v.body.Objects) == 1 && v.body.Objects[0] == v.empty }

func TestUploadRowGoesToDone(t *testing.T) {
	var phases []string
	var mu sync.Mutex
	r := newRig(t, func(u Uploader) Uploader {
		return recorder{u, func(p publish.Progress) { mu.Lock(); phases = append(phases, p.Phase.String()); mu.Unlock() }}
	})
	var empty bool
	r.locked(func() { empty = showsEmptyState(r.view) })
	if !empty {
		t.Fatal("a new view does not show the drop hint")
	}
	path := uploadtest.VideoAs(t, testvideo.Spec{Duration: 3 * time.Second}, "Garden_tour.mp4")
	r.locked(func() { r.view.Add(path) })
	rows := r.rows()
	if len(rows) != 1 {
		t.Fatalf("%d rows after adding one file", len(rows))
	}
	row := rows[0]
	r.waitFor(t, "the upload to finish", func() bool { return row.state == stateDone || row.state == stateFailed })
	r.locked(func() {
		if row.state != stateDone {
			t.Fatalf("row failed: %s", row.errText.Text)
		}
		if showsEmptyState(r.view) {
			t.Error("the drop hint is still shown")
		}
		if row.title.Text != "Garden tour" {
			t.Errorf("title %q", row.title.Text)
		}
		if f := row.facts.Text; !strings.HasPrefix(f, "0:03 · 640×360 · ") {
			t.Errorf("facts %q", f)
		}
		dir := row.result.Dir.String()
		want := [3]string{"ipfs://" + dir, "https://" + dir + ".ipfs.dweb.link/", "https://ipfs.io/ipfs/" + dir + "/"}
		for i, l := range row.links {
			if l.Text != want[i] {
				t.Errorf("link %d %q, want %q", i, l.Text, want[i])
			}
		}
		if r.view.summary.Text != "1 published" {
			t.Errorf("summary %q", r.view.summary.Text)
		}
		test.Tap(row.copyBtns[1])
		if got := r.app.Clipboard().Content(); got != want[1] {
			t.Errorf("clipboard %q after Copy, want %q", got, want[1])
		}
		if row.copyBtns[1].Text != "Copied" {
			t.Errorf("copy button says %q", row.copyBtns[1].Text)
		}
	})
	r.waitFor(t, "the Copy button to come back", func() bool { return row.copyBtns[1].Text == "Copy" })

	v, err := r.cat.Get(context.Background(), row.result.File)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Kept.Has(library.OwnUpload) || !v.Dir.Equals(row.result.Dir) || v.Title != "Garden tour" || !v.Poster.Defined() {
		t.Errorf("catalog entry %+v", v)
	}
	mu.Lock()
	got := strings.Join(phases, ",")
	mu.Unlock()
	if !strings.HasPrefix(got, "Reading video,Importing") || !strings.HasSuffix(got, "Publishing,Done") {
		t.Errorf("phases %s", got)
	}
}

// recorder passes uploads through, noting each progress report.
type recorder struct {
	Uploader
	note func(publish.Progress)
}

func (rc recorder) Upload(ctx context.Context, path string, progress func(publish.Progress)) (publish.Result, error) {
	return rc.Uploader.Upload(ctx, path, func(p publish.Progress) { rc.note(p); progress(p) })
}

func TestBadFilesShowTheirMessage(t *testing.T) {
	r := newRig(t, nil)
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	empty := filepath.Join(dir, "empty.mp4")
	folder := filepath.Join(dir, "Videos")
	for _, err := range []error{
		os.WriteFile(text, []byte(strings.Repeat("just some text\n", 50)), 0o644),
		os.WriteFile(empty, nil, 0o644),
		os.Mkdir(folder, 0o755),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	r.locked(func() { r.view.Add(text, empty, folder) })
	rows := r.rows()
	r.waitFor(t, "three failed rows", func() bool {
		for _, row := range rows {
			if row.state != stateFailed {
				return false
			}
		}
		return true
	})
	want := []string{"“notes.txt” is not a video", "“empty.mp4” is empty (0 bytes)", "“Videos” is a folder"}
	r.locked(func() {
		for i, row := range rows {
			if !strings.Contains(row.errText.Text, want[i]) {
				t.Errorf("row %d says %q, want %q", i, row.errText.Text, want[i])
			}
		}
		if r.view.summary.Text != "3 failed" {
			t.Errorf("summary %q", r.view.summary.Text)
		}
	})
	if n := uploadtest.CatalogSize(t, r.cat); n != 0 {
		t.Errorf("%d catalog entries after bad files", n)
	}
	if n := len(uploadtest.Pins(t, r.node)); n != 0 {
		t.Errorf("%d pins after bad files", n)
	}
	// Dismissing every message brings the drop hint back.
	r.locked(func() {
		for _, row := range rows {
			dismiss := findButton(row.box, "Dismiss")
			if dismiss == nil {
				t.Fatal("no Dismiss button")
			}
			test.Tap(dismiss)
		}
		if len(r.view.rows) != 0 || !showsEmptyState(r.view) {
			t.Errorf("%d rows left after dismissing, empty state %v", len(r.view.rows), showsEmptyState(r.view))
		}
	})
}

// gate holds each upload at its first imported MiB until its context
// ends, standing in for a slow disk so the test can cancel mid-import
// (a real import of a test video is over in milliseconds).
type gate struct {
	Uploader
	reached          chan string
	holding, maxHeld atomic.Int32
}

func (g *gate) Upload(ctx context.Context, path string, progress func(publish.Progress)) (publish.Result, error) {
	held := false
	return g.Uploader.Upload(ctx, path, func(p publish.Progress) {
		progress(p)
		if p.Phase == publish.PhaseImporting && p.Done > 0 && !held {
			held = true
			n := g.holding.Add(1)
			for m := g.maxHeld.Load(); n > m && !g.maxHeld.CompareAndSwap(m, n); m = g.maxHeld.Load() {
			}
			g.reached <- filepath.Base(path)
			<-ctx.Done()
			g.holding.Add(-1)
		}
	})
}

func TestCancelAndQueue(t *testing.T) {
	g := &gate{reached: make(chan string, 3)}
	r := newRig(t, func(u Uploader) Uploader { g.Uploader = u; return g })
	spec := testvideo.Spec{Duration: 6 * time.Second, VideoBitrate: "8M"} // ~6 MiB: six chunks
	paths := []string{uploadtest.VideoAs(t, spec, "a.mp4"), uploadtest.VideoAs(t, spec, "b.mp4"), uploadtest.VideoAs(t, spec, "c.mp4")}
	r.locked(func() { r.view.Add(paths...) })
	rows := r.rows()
	for range 2 {
		select {
		case <-g.reached:
		case <-time.After(30 * time.Second):
			t.Fatal("two uploads did not start importing")
		}
	}
	// Two import, the third waits its turn.
	var waiting *row
	r.waitFor(t, "two importing rows and one waiting", func() bool {
		var importing int
		waiting = nil
		for _, row := range rows {
			switch {
			case strings.HasPrefix(row.phase.Text, "Importing"):
				importing++
			case row.phase.Text == "Waiting":
				waiting = row
			}
		}
		return importing == 2 && waiting != nil
	})
	r.locked(func() {
		if s := r.view.summary.Text; s != "2 uploading · 1 waiting" {
			t.Errorf("summary %q", s)
		}
		// Cancel the waiting one and one importing one.
		test.Tap(waiting.cancelBtn)
		for _, row := range rows {
			if row != waiting {
				test.Tap(row.cancelBtn)
				if row.phase.Text != "Cancelling…" || !row.cancelBtn.Disabled() {
					t.Errorf("cancelled row says %q", row.phase.Text)
				}
				break
			}
		}
	})
	r.waitFor(t, "two rows to go", func() bool { return len(r.view.rows) == 1 })
	// The last one is still held; cancel it too.
	r.locked(func() { test.Tap(r.view.rows[0].cancelBtn) })
	r.waitFor(t, "the list to empty", func() bool { return len(r.view.rows) == 0 && showsEmptyState(r.view) })
	if m := g.maxHeld.Load(); m != 2 {
		t.Errorf("%d uploads imported at once, want 2", m)
	}
	if n := uploadtest.CatalogSize(t, r.cat); n != 0 {
		t.Errorf("%d catalog entries after cancelling", n)
	}
	if n := len(uploadtest.Pins(t, r.node)); n != 0 {
		t.Errorf("%d pins after cancelling", n)
	}
}

func TestRetitleFromCard(t *testing.T) {
	r := newRig(t, nil)
	path := uploadtest.VideoAs(t, testvideo.Spec{Duration: 2 * time.Second}, "talk.mp4")
	r.locked(func() { r.view.Add(path) })
	row := r.rows()[0]
	r.waitFor(t, "the upload to finish", func() bool { return row.state == stateDone || row.state == stateFailed })
	var oldDir string
	r.locked(func() {
		if row.state != stateDone {
			t.Fatalf("row failed: %s", row.errText.Text)
		}
		oldDir = row.result.Dir.String()
		if !row.save.Disabled() {
			t.Error("Save is enabled before any change")
		}
		row.title.SetText("My talk at the meetup")
		if row.save.Disabled() {
			t.Error("Save is disabled after a change")
		}
		// Enter saves, as the Save button does.
		row.title.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if row.titleNote.Text != "Saving…" || !row.title.Disabled() {
			t.Errorf("while saving: note %q, entry disabled %v", row.titleNote.Text, row.title.Disabled())
		}
	})
	r.waitFor(t, "the title to be saved", func() bool { return strings.HasPrefix(row.titleNote.Text, "Saved") })
	var newDir string
	r.locked(func() {
		newDir = row.result.Dir.String()
		if newDir == oldDir || row.links[0].Text != "ipfs://"+newDir || row.title.Disabled() || !row.save.Disabled() {
			t.Errorf("after saving: dir %s (was %s), link %q, entry disabled %v", newDir, oldDir, row.links[0].Text, row.title.Disabled())
		}
	})
	v, err := r.cat.Get(context.Background(), row.result.File)
	if err != nil {
		t.Fatal(err)
	}
	if v.Title != "My talk at the meetup" || v.Dir.String() != newDir {
		t.Errorf("catalog title %q dir %s; want the new title and %s", v.Title, v.Dir, newDir)
	}

	// An empty title is refused in the card, not saved.
	r.locked(func() {
		row.title.SetText("   ")
		if !row.save.Disabled() {
			t.Error("Save is enabled for a blank title")
		}
	})
}

// findButton finds a button by its text below o.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	switch x := o.(type) {
	case *widget.Button:
		if x.Text == text {
			return x
		}
	case *fyne.Container:
		for _, c := range x.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	case *widget.Card:
		return findButton(x.Content, text)
	}
	return nil
}
