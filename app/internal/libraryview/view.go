package libraryview

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/library"
)

// Catalog is what the view reads: *library.Catalog.
type Catalog interface {
	List(ctx context.Context, opts library.ListOptions) (library.Page, error)
	Search(ctx context.Context, query string, opts library.ListOptions) (library.Page, error)
	Subscribe(fn func(library.Change)) (cancel func())
}

var _ Catalog = (*library.Catalog)(nil)

// Actions is what the view asks of the node. Each method may be slow (Pin
// fetches the whole video) and runs on a goroutine of its own; the
// implementation updates the catalog (Kept, BytesLocal), which the view
// follows through its subscription.
type Actions interface {
	// Poster returns the bytes of a poster image (JPEG or PNG).
	Poster(ctx context.Context, poster cid.Cid) ([]byte, error)
	Pin(ctx context.Context, video cid.Cid) error
	Unpin(ctx context.Context, video cid.Cid) error
	// RemoveFromCache drops the video's blocks from this computer.
	RemoveFromCache(ctx context.Context, video cid.Cid) error
}

const (
	// DefaultDebounce is how long catalog changes and typing must be quiet
	// before the view queries the catalog again.
	DefaultDebounce = 200 * time.Millisecond
	// maxReloadDelay bounds how long a steady stream of changes can hold
	// a reload back.
	maxReloadDelay = time.Second
	// queryTimeout bounds one List or Search; the catalog answers in tens
	// of milliseconds, so hitting it means something is stuck.
	queryTimeout = 30 * time.Second
	// noticeFor is how long an informational notice ("Link copied") stays.
	noticeFor = 4 * time.Second
)

// Option configures New.
type Option func(*config)

type config struct {
	onPlay          func(library.Video)
	log             *slog.Logger
	debounce        time.Duration
	providers       Providers
	providerRefresh time.Duration
	// post runs a function on the UI thread; fyne.Do unless a test gives
	// its own (Fyne's test driver runs fyne.Do inline on the calling
	// goroutine, which the race detector rightly flags).
	post func(func())
}

// OnPlay sets what happens when the user taps a tile or picks Play.
func OnPlay(fn func(library.Video)) Option { return func(c *config) { c.onPlay = fn } }

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithDebounce sets how long changes must be quiet before the view
// queries the catalog again (default DefaultDebounce).
func WithDebounce(d time.Duration) Option { return func(c *config) { c.debounce = d } }

// withUIThread replaces fyne.Do, for tests: they pass a uitest.Loop's Post.
func withUIThread(post func(func())) Option { return func(c *config) { c.post = post } }

// query is what the grid shows: a search text and an order.
type query struct {
	text string
	sort library.Sort
}

var sortChoices = []struct {
	label string
	sort  library.Sort
}{
	{"Recently watched", library.SortRecentlyWatched},
	{"Recently added", library.SortRecentlyAdded},
	{"Title", library.SortTitle},
}

// View is the library grid. Create it with New on the UI thread.
type View struct {
	cfg     config
	cat     Catalog
	actions Actions
	log     *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
	unsub  func()

	reload chan struct{} // capacity 1: "query again"
	urgent atomic.Bool   // skip the debounce for the next reload

	mu   sync.Mutex
	want query // set on the UI thread, read by the loader

	// UI-thread state.
	videos  []library.Video
	loaded  bool
	busy    map[string]string // video KeyString → "Pinning…" while an action runs
	posters *posters
	provs   *providerCounts // own uploads' provider counts (any goroutine)
	notice  int             // bumps with every notice, so a stale timer does not hide a newer one

	root       fyne.CanvasObject
	search     *widget.Entry
	clear      *widget.Button
	sortSel    *widget.Select
	count      *widget.RichText
	grid       *widget.GridWrap
	empty      fyne.CanvasObject
	emptyIcon  *widget.Icon
	emptyTitle *widget.Label
	emptyHint  *widget.Label
	retry      *widget.Button
	loading    *widget.Activity
	banner     fyne.CanvasObject
	bannerIcon *widget.Icon
	bannerText *widget.Label
}

// New builds the view and starts loading the catalog. Call it on the UI
// thread; ctx bounds every backend call the view makes.
func New(ctx context.Context, cat Catalog, actions Actions, opts ...Option) *View {
	cfg := config{log: slog.Default(), debounce: DefaultDebounce, providerRefresh: DefaultProviderRefresh, post: fyne.Do}
	for _, o := range opts {
		o(&cfg)
	}
	v := &View{
		cfg:     cfg,
		cat:     cat,
		actions: actions,
		log:     cfg.log.With("component", "libraryview"),
		reload:  make(chan struct{}, 1),
		busy:    make(map[string]string),
		want:    query{sort: library.SortRecentlyWatched},
		provs:   newProviderCounts(),
	}
	v.ctx, v.cancel = context.WithCancel(ctx)
	v.posters = newPosters(actions.Poster, v.post, v.posterArrived, v.log)
	v.build()

	v.posters.start(v.ctx, &v.wg)
	v.wg.Add(1)
	go v.loadLoop()
	if cfg.providers != nil {
		v.wg.Add(1)
		go v.providerLoop()
	}
	v.unsub = cat.Subscribe(func(ch library.Change) {
		v.requestReload(false)
		if cfg.providers != nil && v.provs.unseen(ch.Video) {
			v.provs.wake()
		}
	})
	v.requestReload(true)
	return v
}

// Content is the view's root object, built once.
func (v *View) Content() fyne.CanvasObject { return v.root }

// Close stops the view's goroutines and its catalog subscription. It does
// not wait for a backend call under way, which would block the UI thread:
// such a call sees its context cancelled and its result is dropped.
// Calling it again does nothing.
func (v *View) Close() {
	if v.closed.Swap(true) {
		return
	}
	v.cancel()
	v.unsub()
}

// post runs fn on the UI thread unless the view has closed by then.
func (v *View) post(fn func()) {
	v.cfg.post(func() {
		if !v.closed.Load() {
			fn()
		}
	})
}

func (v *View) build() {
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search titles")
	// The search icon turns into a clear button once there is text.
	v.clear = widget.NewButtonWithIcon("", theme.SearchIcon(), func() { v.search.SetText("") })
	v.clear.Importance = widget.LowImportance
	v.clear.Disable()
	v.search.ActionItem = v.clear
	v.search.OnChanged = func(text string) {
		if text == "" {
			v.clear.SetIcon(theme.SearchIcon())
			v.clear.Disable()
		} else {
			v.clear.SetIcon(theme.CancelIcon())
			v.clear.Enable()
		}
		v.queryChanged(false)
	}

	labels := make([]string, len(sortChoices))
	for i, c := range sortChoices {
		labels[i] = c.label
	}
	v.sortSel = widget.NewSelect(labels, func(string) { v.queryChanged(true) })
	v.sortSel.SetSelectedIndex(0)

	v.count = ui.DimText("")

	v.grid = widget.NewGridWrap(
		func() int { return len(v.videos) },
		func() fyne.CanvasObject { return v.newTile() },
		func(id widget.GridWrapItemID, o fyne.CanvasObject) {
			if id >= 0 && id < len(v.videos) {
				o.(*tile).bind(v.videos[id])
			}
		})
	// A tile handles its own taps; selection comes from the keyboard
	// (arrows, then space), and means the same as a tap.
	v.grid.OnSelected = func(id widget.GridWrapItemID) {
		v.grid.Unselect(id)
		if id >= 0 && id < len(v.videos) {
			v.play(v.videos[id])
		}
	}

	v.emptyIcon = widget.NewIcon(theme.MediaVideoIcon())
	v.emptyTitle = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.emptyTitle.SizeName = theme.SizeNameSubHeadingText
	v.emptyHint = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	v.emptyHint.Wrapping = fyne.TextWrapWord
	v.retry = widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), func() { v.requestReload(true) })
	v.retry.Hide()
	icon := container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(72), v.emptyIcon))
	v.empty = container.NewCenter(container.NewVBox(icon, v.emptyTitle,
		container.NewGridWrap(fyne.NewSize(360, v.emptyHint.MinSize().Height*2), v.emptyHint),
		container.NewCenter(v.retry)))
	v.empty.Hide()

	v.loading = widget.NewActivity()
	v.loading.Start()

	v.bannerIcon = widget.NewIcon(theme.ErrorIcon())
	v.bannerText = widget.NewLabel("")
	v.bannerText.Wrapping = fyne.TextWrapWord
	var dismiss *widget.Button
	dismiss = widget.NewButtonWithIcon("", theme.CancelIcon(), func() { v.banner.Hide() })
	dismiss.Importance = widget.LowImportance
	v.banner = container.NewBorder(nil, nil, v.bannerIcon, dismiss, v.bannerText)
	v.banner.Hide()

	sortBox := container.New(layout.NewGridWrapLayout(fyne.NewSize(180, v.sortSel.MinSize().Height)), v.sortSel)
	header := container.NewBorder(nil, nil, nil, container.NewHBox(container.NewCenter(v.count), sortBox), v.search)
	// Inset like the tiles, so the search box lines up with the posters.
	top := container.New(layout.NewCustomPaddedLayout(tileMargin, 0, tileMargin, tileMargin+theme.ScrollBarSize()+theme.Padding()),
		container.NewVBox(header, v.banner))
	body := container.NewStack(v.grid, v.empty, container.NewCenter(v.loading))
	column := container.NewBorder(container.New(layout.NewCustomPaddedLayout(0, theme.Padding(), 0, 0), top), nil, nil, nil, body)
	v.root = container.New(layout.NewCustomPaddedLayout(theme.Padding(), 0, theme.Padding(), theme.Padding()),
		container.New(columnsLayout{cell: cellWidth}, column))
}

// queryChanged follows the search box and the sort menu (UI thread).
func (v *View) queryChanged(urgent bool) {
	q := query{text: v.search.Text, sort: library.SortRecentlyWatched}
	if i := v.sortSel.SelectedIndex(); i >= 0 {
		q.sort = sortChoices[i].sort
	}
	v.mu.Lock()
	changed := q != v.want
	v.want = q
	v.mu.Unlock()
	if changed {
		v.requestReload(urgent)
	}
}

func (v *View) requestReload(urgent bool) {
	if urgent {
		v.urgent.Store(true)
	}
	select {
	case v.reload <- struct{}{}:
	default:
	}
}

// loadLoop queries the catalog whenever asked, one query at a time, after
// the requests have been quiet for the debounce (unless one was urgent).
func (v *View) loadLoop() {
	defer v.wg.Done()
	for {
		select {
		case <-v.ctx.Done():
			return
		case <-v.reload:
		}
		if !v.urgent.Swap(false) && !v.settle() {
			return
		}
		v.mu.Lock()
		q := v.want
		v.mu.Unlock()
		start := time.Now()
		page, err := v.run(q)
		if v.ctx.Err() != nil {
			return
		}
		v.log.Debug("library queried", "query", q.text, "videos", len(page.Videos), "took", time.Since(start), "err", err)
		v.post(func() { v.apply(q, page, err) })
	}
}

// settle waits until reload requests stop for the debounce, at most
// maxReloadDelay in all; false when the view closed.
func (v *View) settle() bool {
	deadline := time.Now().Add(maxReloadDelay)
	t := time.NewTimer(v.cfg.debounce)
	defer t.Stop()
	for {
		select {
		case <-v.ctx.Done():
			return false
		case <-t.C:
			return true
		case <-v.reload:
			if v.urgent.Swap(false) {
				return true
			}
			if wait := min(v.cfg.debounce, time.Until(deadline)); wait > 0 {
				t.Reset(wait)
			}
		}
	}
}

func (v *View) run(q query) (library.Page, error) {
	ctx, cancel := context.WithTimeout(v.ctx, queryTimeout)
	defer cancel()
	if q.text == "" {
		return v.cat.List(ctx, library.ListOptions{Sort: q.sort})
	}
	s := q.sort
	if s == library.SortRecentlyWatched {
		s = library.SortRelevance
	}
	return v.cat.Search(ctx, q.text, library.ListOptions{Sort: s})
}

// apply shows a query's result (UI thread).
func (v *View) apply(q query, page library.Page, err error) {
	v.mu.Lock()
	stale := q != v.want
	v.mu.Unlock()
	if stale {
		return // the loader has a newer query queued
	}
	v.loading.Stop()
	v.loading.Hide()
	if err != nil {
		v.log.Warn("library query failed", "query", q.text, "err", err)
		if !v.loaded {
			v.showEmpty(theme.ErrorIcon(), "Could not open the library", err.Error(), true)
			return
		}
		v.showBanner(theme.ErrorIcon(), "Could not refresh the library: "+err.Error(), false)
		return
	}
	v.loaded = true
	v.videos = page.Videos
	v.grid.Refresh()
	v.setCount(q, page)
	switch {
	case len(v.videos) > 0:
		v.empty.Hide()
		v.grid.Show()
	case q.text == "":
		v.showEmpty(theme.MediaVideoIcon(), "Your library is empty", "Open a link or drop a video to start.", false)
	default:
		v.showEmpty(theme.SearchIcon(), fmt.Sprintf("No videos match “%s”", q.text), "Try another word, or clear the search.", false)
	}
}

func (v *View) setCount(q query, page library.Page) {
	var parts []string
	switch {
	case page.Total == 0:
		// The empty state says it.
	case q.text != "" && page.Total == 1:
		parts = append(parts, "1 match")
	case q.text != "":
		parts = append(parts, fmt.Sprintf("%d matches", page.Total))
	case page.Total == 1:
		parts = append(parts, "1 video")
	default:
		parts = append(parts, fmt.Sprintf("%d videos", page.Total))
	}
	if n := len(page.Skipped); n > 0 {
		parts = append(parts, fmt.Sprintf("%d unreadable hidden", n))
	}
	setDimText(v.count, strings.Join(parts, " · "))
}

func (v *View) showEmpty(icon fyne.Resource, title, hint string, retry bool) {
	v.emptyIcon.SetResource(theme.NewColoredResource(icon, theme.ColorNamePlaceHolder))
	v.emptyTitle.SetText(title)
	v.emptyHint.SetText(hint)
	if retry {
		v.retry.Show()
	} else {
		v.retry.Hide()
	}
	v.grid.Hide()
	v.empty.Show()
}

// showBanner shows a message above the grid; transient ones go away by
// themselves.
func (v *View) showBanner(icon fyne.Resource, msg string, transient bool) {
	v.notice++
	v.bannerIcon.SetResource(icon)
	v.bannerText.SetText(msg)
	v.banner.Show()
	if !transient {
		return
	}
	n := v.notice
	time.AfterFunc(noticeFor, func() {
		v.post(func() {
			if v.notice == n {
				v.banner.Hide()
			}
		})
	})
}

func (v *View) play(video library.Video) {
	if v.cfg.onPlay != nil {
		v.cfg.onPlay(video)
	}
}

// menu is a tile's menu, built when it opens so it reflects the video's
// state at that moment.
func (v *View) menu(video library.Video) *fyne.Menu {
	play := fyne.NewMenuItem("Play", func() { v.play(video) })
	play.Icon = theme.MediaPlayIcon()

	busy, isBusy := v.busy[video.Cid.KeyString()]
	pinned := video.Kept.Has(library.Pinned)
	pin := fyne.NewMenuItem("Pin", func() {
		v.runAction(video, "Pinning…", "Could not pin", v.actions.Pin)
	})
	pin.Icon = theme.ContentAddIcon()
	if pinned {
		pin = fyne.NewMenuItem("Unpin", func() {
			v.runAction(video, "Unpinning…", "Could not unpin", v.actions.Unpin)
		})
		pin.Icon = theme.ContentRemoveIcon()
	}
	remove := fyne.NewMenuItem("Remove from cache…", func() { v.confirmRemove(video) })
	remove.Icon = theme.DeleteIcon()
	remove.Disabled = video.BytesLocal == 0
	if isBusy {
		pin.Label, pin.Disabled = busy, true
		remove.Disabled = true
	}
	copyLink := fyne.NewMenuItem("Copy link", func() { v.copyLink(video) })
	copyLink.Icon = theme.ContentCopyIcon()
	items := []*fyne.MenuItem{play, fyne.NewMenuItemSeparator(), pin, remove, fyne.NewMenuItemSeparator(), copyLink}
	if v.cfg.providers != nil && video.Kept.Has(library.OwnUpload) {
		// Counts refresh every few minutes; a creator who just shared a
		// link may want to see a new copy now.
		count := fyne.NewMenuItem("Count copies now", func() {
			v.provs.wake(video.Cid)
			v.refreshTiles(video.Cid)
		})
		count.Icon = theme.ViewRefreshIcon()
		count.Disabled = v.provs.get(video.Cid).counting
		items = append(items, count)
	}
	return fyne.NewMenu("", items...)
}

// showMenu opens video's menu at pos, in absolute canvas coordinates.
func (v *View) showMenu(video library.Video, pos fyne.Position) {
	c := fyne.CurrentApp().Driver().CanvasForObject(v.root)
	if c == nil {
		return
	}
	widget.ShowPopUpMenuAtPosition(v.menu(video), c, pos)
}

// runAction runs an Actions call on a goroutine, marking the tile busy
// meanwhile; the badge itself changes when the catalog does.
func (v *View) runAction(video library.Video, busy, failed string, fn func(context.Context, cid.Cid) error) {
	key := video.Cid.KeyString()
	if _, already := v.busy[key]; already {
		return
	}
	v.busy[key] = busy
	v.refreshTiles(video.Cid)
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		err := fn(v.ctx, video.Cid)
		if err != nil && v.ctx.Err() == nil {
			v.log.Warn("library action failed", "action", busy, "video", video.Cid, "err", err)
		}
		v.post(func() {
			delete(v.busy, key)
			v.refreshTiles(video.Cid)
			if err != nil {
				v.showBanner(theme.ErrorIcon(), fmt.Sprintf("%s “%s”: %v", failed, displayTitle(video), err), false)
			}
		})
	}()
}

func (v *View) confirmRemove(video library.Video) {
	w := v.window()
	if w == nil {
		return
	}
	msg := fmt.Sprintf("“%s” takes %s on this computer.\nRemoving it frees that space; you can still stream it from the network.",
		displayTitle(video), ui.Bytes(video.BytesLocal))
	if video.Kept.Has(library.OwnUpload) {
		msg = fmt.Sprintf("“%s” is your upload and takes %s here.\nIf no one else keeps a copy, others can no longer watch it.",
			displayTitle(video), ui.Bytes(video.BytesLocal))
	}
	d := dialog.NewConfirm("Remove from cache?", msg, func(ok bool) {
		if ok {
			v.runAction(video, "Removing…", "Could not remove", v.actions.RemoveFromCache)
		}
	}, w)
	d.SetConfirmText("Remove")
	d.SetDismissText("Cancel")
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

// shareLink is the link others can open: the published directory (video,
// poster and metadata) when known, else the bare file.
func shareLink(video library.Video) string {
	if video.Dir.Defined() {
		return "ipfs://" + video.Dir.String()
	}
	return "ipfs://" + video.Cid.String()
}

func (v *View) copyLink(video library.Video) {
	link := shareLink(video)
	fyne.CurrentApp().Clipboard().SetContent(link)
	v.showBanner(theme.ContentCopyIcon(), "Link copied: "+link, true)
}

// window finds the window showing the view, for dialogs.
func (v *View) window() fyne.Window {
	drv := fyne.CurrentApp().Driver()
	c := drv.CanvasForObject(v.root)
	var first fyne.Window
	for _, w := range drv.AllWindows() {
		if c != nil && w.Canvas() == c {
			return w
		}
		if first == nil {
			first = w
		}
	}
	return first
}

// posterArrived redraws the tiles showing poster c (UI thread). The
// grid only redraws the ones on screen, so scanning every video is the
// cheap part.
func (v *View) posterArrived(c cid.Cid) {
	for i, video := range v.videos {
		if video.Poster.Equals(c) {
			v.grid.RefreshItem(i)
		}
	}
}

// refreshTiles redraws the tile showing video id (UI thread).
func (v *View) refreshTiles(id cid.Cid) {
	for i, video := range v.videos {
		if video.Cid.Equals(id) {
			v.grid.RefreshItem(i)
		}
	}
}

func displayTitle(video library.Video) string {
	if video.Title != "" {
		return video.Title
	}
	return "Untitled video"
}

func setDimText(rt *widget.RichText, s string) {
	if seg, ok := rt.Segments[0].(*widget.TextSegment); ok && seg.Text != s {
		seg.Text = s
		rt.Refresh()
	}
}
