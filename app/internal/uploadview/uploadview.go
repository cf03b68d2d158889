// Package uploadview is the window's Upload view: files dropped on the
// window or picked with "Add videos…" are published one row each, with a
// progress bar, speed and time left, and a Cancel button; a finished
// upload becomes a card with its poster, an editable title, duration,
// resolution, "Pinned" and a share box with ipfs:// and gateway links.
// Files that cannot be published say why in their row until dismissed.
//
// The work is done by an Uploader (library/publish's *Service, wired in
// by the app); this package only shows it. Every file starts at once, so
// a bad one is refused right away; the Uploader imports two at a time and
// the rest show "Waiting" until their turn.
//
// # Usage
//
//	up := publish.New(nodelib.Publish{N: n}, probelib.Prober{}, cat)
//	v := uploadview.New(ctx, up, uploadview.WithWindow(w),
//		uploadview.WithPlay(func(r publish.Result) { player.Open(r.Dir) }))
//	w.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
//		// show the view, then
//		v.Add(paths(uris)...)
//	})
//	tabs.Append(container.NewTabItem("Upload", v.Content()))
//	defer v.Close()
//
// New, Add, Content and Close run on the UI thread. Uploads run on
// goroutines of their own, which reach widgets only through fyne.Do.
package uploadview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/library/publish"
)

// Uploader publishes files; *publish.Service is one.
type Uploader interface {
	Upload(ctx context.Context, path string, progress func(publish.Progress)) (publish.Result, error)
	Retitle(ctx context.Context, file cid.Cid, title string) (publish.Result, error)
}

var _ Uploader = (*publish.Service)(nil)

// Option tunes New.
type Option func(*options)

type options struct {
	window    fyne.Window
	log       *slog.Logger
	play      func(publish.Result)
	clipboard fyne.Clipboard
}

// WithWindow is the window "Add videos…" opens its file dialog over.
// Without it the button is hidden and files come only through Add.
func WithWindow(w fyne.Window) Option { return func(o *options) { o.window = w } }

// WithLogger sets the logger; slog.Default() otherwise.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithPlay adds a Play button to finished uploads, which calls fn.
func WithPlay(fn func(publish.Result)) Option { return func(o *options) { o.play = fn } }

// WithClipboard sets where the Copy buttons copy to; the app's clipboard
// otherwise.
func WithClipboard(c fyne.Clipboard) Option { return func(o *options) { o.clipboard = c } }

// VideoExtensions are the files "Add videos…" offers. Dropped files are
// not filtered by name: libmpv decides what is a video.
var VideoExtensions = []string{
	".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi", ".ogv", ".ts", ".m2ts",
	".mts", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp",
}

// View is the Upload view.
type View struct {
	ctx    context.Context
	cancel context.CancelFunc
	up     Uploader
	opts   options
	log    *slog.Logger
	wg     sync.WaitGroup

	// mu serialises every widget change made from an upload's goroutine
	// (through do). On the real driver those run on the UI thread anyway;
	// the test driver runs fyne.Do inline on the calling goroutine, and
	// tests take mu to read widgets safely.
	mu     sync.Mutex
	closed bool

	rows    []*row
	list    *fyne.Container
	body    *fyne.Container
	empty   fyne.CanvasObject
	scroll  *container.Scroll
	summary *widget.Label
	addBtn  *widget.Button
	content fyne.CanvasObject
}

// New builds the view on the UI thread. Uploads stop when ctx ends or
// Close is called.
func New(ctx context.Context, up Uploader, opts ...Option) *View {
	o := options{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if o.clipboard == nil {
		if app := fyne.CurrentApp(); app != nil {
			o.clipboard = app.Clipboard()
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	v := &View{
		ctx: ctx, cancel: cancel, up: up, opts: o,
		log: o.log.With("component", "uploadview"),
	}
	v.build()
	return v
}

func (v *View) build() {
	v.addBtn = widget.NewButtonWithIcon("Add videos…", theme.ContentAddIcon(), v.pickFile)
	v.addBtn.Importance = widget.HighImportance
	if v.opts.window == nil {
		v.addBtn.Hide()
	}
	heading := widget.NewLabel("Upload")
	heading.SizeName = theme.SizeNameSubHeadingText
	heading.TextStyle.Bold = true
	v.summary = widget.NewLabel("")
	v.summary.Importance = widget.LowImportance
	header := container.NewBorder(nil, nil, container.NewHBox(heading, v.summary), v.addBtn)

	v.list = container.NewVBox()
	v.scroll = container.NewVScroll(container.NewPadded(v.list))
	v.empty = v.emptyState()
	v.body = container.NewStack(v.empty)
	v.content = container.NewBorder(container.NewPadded(header), nil, nil, nil, v.body)
	v.refreshSummary()
}

// emptyState is what an empty list shows: where files go, and what
// happens to them.
func (v *View) emptyState() fyne.CanvasObject {
	icon := widget.NewIcon(theme.NewPrimaryThemedResource(theme.UploadIcon()))
	title := widget.NewLabel("Drop videos here or click Add videos…")
	title.SizeName = theme.SizeNameSubHeadingText
	title.TextStyle.Bold = true
	title.Alignment = fyne.TextAlignCenter
	hint := ui.DimText("Each video is imported into your node, pinned, and published with its poster and title,\n" +
		"ready to share as an ipfs:// or gateway link. MP4, WebM, MKV, MOV and more.")
	for _, seg := range hint.Segments {
		if ts, ok := seg.(*widget.TextSegment); ok {
			ts.Style.Alignment = fyne.TextAlignCenter
			ts.Style.Inline = false
		}
	}
	return container.NewCenter(container.NewVBox(
		container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(96), icon)),
		title, hint,
	))
}

// Content is the view's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Close cancels every upload (each rolls back what it added) and waits
// up to five seconds for them to end. Later calls do nothing.
func (v *View) Close() {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return
	}
	v.closed = true
	v.mu.Unlock()
	v.cancel()
	done := make(chan struct{})
	go func() { v.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		v.log.Warn("uploads still ending after close")
	}
}

// do runs fn on the UI thread unless the view is closed.
func (v *View) do(fn func()) {
	fyne.Do(func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		if !v.closed {
			fn()
		}
	})
}

// Add queues the files at paths for upload, one row each. Call it on the
// UI thread (the window's drop callback runs there).
func (v *View) Add(paths ...string) {
	if v.ctx.Err() != nil {
		return
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		r := newRow(v, p)
		v.rows = append(v.rows, r)
		v.list.Add(r.box)
		v.wg.Add(1)
		go r.run()
	}
	v.showList()
}

// pickFile opens the file dialog for "Add videos…".
func (v *View) pickFile() {
	w := v.opts.window
	if w == nil {
		return
	}
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, w)
			return
		}
		if rc == nil {
			return // cancelled
		}
		path := rc.URI().Path()
		rc.Close()
		v.Add(path)
	}, w)
	d.SetFilter(storage.NewExtensionFileFilter(VideoExtensions))
	d.SetConfirmText("Upload")
	if s := w.Canvas().Size(); s.Width > 0 {
		d.Resize(fyne.NewSize(s.Width*0.85, s.Height*0.85))
	}
	d.Show()
}

func (v *View) remove(r *row) {
	for i, x := range v.rows {
		if x == r {
			v.rows = append(v.rows[:i], v.rows[i+1:]...)
			break
		}
	}
	v.list.Remove(r.box)
	v.showList()
}

// showList swaps the empty-state hint and the list.
func (v *View) showList() {
	want := v.empty
	if len(v.rows) > 0 {
		want = v.scroll
	}
	if len(v.body.Objects) != 1 || v.body.Objects[0] != want {
		v.body.Objects = []fyne.CanvasObject{want}
		v.body.Refresh()
	}
	v.refreshSummary()
}

func (v *View) refreshSummary() {
	var waiting, running, done, failed int
	for _, r := range v.rows {
		switch {
		case r.state == stateRunning && r.phaseNow == publish.PhaseWaiting:
			waiting++
		case r.state == stateRunning:
			running++
		case r.state == stateDone:
			done++
		case r.state == stateFailed:
			failed++
		}
	}
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(running, "uploading")
	add(waiting, "waiting")
	add(done, "published")
	add(failed, "failed")
	v.summary.SetText(strings.Join(parts, " · "))
}

// message words an error for a row.
func message(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "Took too long and was stopped."
	}
	return publish.Message(err)
}

// fileName is how a row names its file.
func fileName(path string) string { return filepath.Base(path) }
