package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/libraryview"
	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/app/internal/playerview"
	"github.com/ipfs-tube/ipfs-tube/app/internal/seedview"
	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/app/internal/settingsview"
	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/app/internal/uploadview"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/library/publish"
)

// appID names the app to Fyne (preferences, storage paths). Reverse-DNS with
// underscores, because Flatpak and D-Bus reject hyphens in some positions.
const appID = "io.github.ipfs_tube.IPFSTube"

const (
	windowTitle = "IPFS-Tube"
	// statusInterval is how often the status card re-reads the node: often
	// enough that a peer count feels live, rare enough to cost nothing.
	statusInterval = time.Second
	// maxShownAddrs keeps the card readable; a node can listen on a dozen.
	maxShownAddrs = 3
	// stateTimeout bounds how long app/state waits for the UI thread.
	stateTimeout = 5 * time.Second
)

// The window's views, in the order of the side bar; the names are what
// app/show and app/state use.
const (
	viewWatch    = "watch"
	viewLibrary  = "library"
	viewUpload   = "upload"
	viewSeeding  = "seeding"
	viewSettings = "settings"
)

var viewNames = []string{viewWatch, viewLibrary, viewUpload, viewSeeding, viewSettings}

// guiDeps is what the window is built on.
type guiDeps struct {
	node     statusSource
	services *guiServices
	catalog  *library.Catalog
	settings *settings.Store
	saved    *settings.Settings // the settings at start; nil if unreadable
	uploader *publish.Service
	log      *slog.Logger
	private  bool // Settings' private mode, shown in the footer
}

// shell is the main window: the open bar on top, the views behind a side
// bar, the node's state at the bottom. Its methods that implement
// windowControl may run on any goroutine; everything else belongs to the
// UI thread.
type shell struct {
	deps guiDeps
	app  fyne.App
	win  fyne.Window

	open     *openView
	status   *statusView
	footer   *widget.Label
	tabs     *container.AppTabs
	player   *playerview.View
	library  *libraryview.View
	uploads  *uploadview.View
	seeding  *seedview.View
	settings *settingsview.View

	normal fyne.CanvasObject // the window's content when not fullscreen

	// closed stops late fyne.Do callbacks from touching a dead window; it
	// is atomic because Fyne runs such callbacks inline once it has shut
	// down.
	closed atomic.Bool
	// quitting is set when the user really quits, so the close intercept
	// lets the window go even when closing would otherwise hide it.
	quitting atomic.Bool
	hasTray  bool // a tray icon is shown
}

var _ windowControl = (*shell)(nil)

// runGUI shows the main window and blocks until the app quits or ctx
// ends. It must be called on the main goroutine, once per process (Fyne
// runs one app per process). The node in deps is created but maybe not
// started: start is called in a goroutine AFTER the window is shown, so
// the window appears before the node has started; a nil start means the
// node already runs. start gets the window, for the control API. open is a
// link to play or a file to upload at start ("" for none).
//
// runGUI returns nil when the app quits or ctx ends, and only after start
// has returned (its context is cancelled first), the views have stopped
// (the player has saved its position) and the status refresh has ended,
// so the caller may close the catalog and the node right away. A start
// error is shown in the window, not returned.
func runGUI(ctx context.Context, deps guiDeps, start func(context.Context, windowControl) error, open string) error {
	a := newFyneApp()
	if deps.saved != nil {
		settingsview.ApplyTheme(a, deps.saved.Theme)
	}

	life, cancel := context.WithCancel(ctx)
	defer cancel()
	s := newShell(life, a, deps)
	// The quota, caps, pause and hours set on the Seeding page apply at
	// once.
	stopWatch := deps.settings.Watch(func(st settings.Settings) {
		if e := deps.services.seeding; e != nil {
			e.Set(choiceFrom(st))
		}
		if k := deps.services.keeper; k != nil && k.Quota() != st.Quota {
			if _, err := k.SetQuota(life, st.Quota); err != nil {
				deps.log.Warn("storage quota", "err", err)
			}
		}
	})
	defer stopWatch()
	s.win.SetOnClosed(func() {
		s.closed.Store(true)
		cancel()
	})

	var wg sync.WaitGroup
	kick := make(chan struct{}, 1)
	// OnStarted fires once the event loop runs, which is what "after the
	// window is shown" needs; wg.Add here and wg.Wait below are both on the
	// main goroutine.
	a.Lifecycle().SetOnStarted(func() {
		wg.Add(3)
		go func() {
			defer wg.Done()
			var err error
			if start != nil {
				err = start(life, s)
			}
			deps.services.setStarted(err)
			s.status.setStarted(err)
			select {
			case kick <- struct{}{}:
			default:
			}
		}()
		go func() {
			defer wg.Done()
			s.refreshStatus(life, kick)
		}()
		go func() {
			defer wg.Done()
			<-life.Done()
			if ctx.Err() != nil {
				s.quitting.Store(true)
				fyne.Do(a.Quit)
			}
		}()
		if open != "" {
			if err := s.Open(open); err != nil {
				fyne.Do(func() { s.open.showError(openError(err)) })
			}
		}
	})

	s.win.ShowAndRun()
	s.closed.Store(true)
	cancel()
	wg.Wait()
	s.closeViews()
	return nil
}

func newShell(ctx context.Context, a fyne.App, deps guiDeps) *shell {
	s := &shell{deps: deps, app: a, win: a.NewWindow(windowTitle)}
	w := s.win
	s.status = newStatusView(deps.node)
	s.status.private = deps.private
	s.open = newOpenView("", s.play)
	s.footer = widget.NewLabel("")
	s.footer.SizeName = theme.SizeNameCaptionText

	s.player = playerview.New(ctx, deps.services,
		playerview.WithCatalog(deps.catalog),
		playerview.WithWindow(fullScreener{s}),
		playerview.WithLogger(deps.log))
	s.library = libraryview.New(ctx, deps.catalog, deps.services,
		libraryview.OnPlay(func(v library.Video) { s.play(link.Target{Cid: v.Cid}) }),
		libraryview.WithProviders(deps.services),
		libraryview.WithLogger(deps.log))
	s.uploads = uploadview.New(ctx, deps.uploader,
		uploadview.WithWindow(w),
		uploadview.WithPlay(func(r publish.Result) { s.play(link.Target{Cid: r.File}) }),
		uploadview.WithLogger(deps.log))
	s.seeding = seedview.New(ctx, deps.settings,
		seedview.WithSource(deps.services),
		seedview.WithDiskDir(deps.node.RepoDir()),
		seedview.WithLogger(deps.log))
	s.settings = settingsview.New(ctx, deps.settings, w,
		settingsview.WithDefaultRepo(deps.node.RepoDir()),
		settingsview.WithGatewayRanking(deps.services),
		settingsview.WithLogger(deps.log))

	// The settings page scrolls on its own and keeps Save and Revert in
	// view, so the node card gets its own tab beside it.
	settingsPage := container.NewAppTabs(
		container.NewTabItem("Preferences", s.settings.Content()),
		container.NewTabItem("Your node", container.NewVScroll(container.NewPadded(
			ui.Section(theme.ComputerIcon(), "Your node", s.status.content())))),
	)
	s.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Watch", theme.MediaPlayIcon(), s.player.Content()),
		container.NewTabItemWithIcon("Library", theme.GridIcon(), s.library.Content()),
		container.NewTabItemWithIcon("Upload", theme.UploadIcon(), s.uploads.Content()),
		container.NewTabItemWithIcon("Seeding", theme.StorageIcon(), s.seeding.Content()),
		container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), settingsPage),
	)
	s.tabs.SetTabLocation(container.TabLocationLeading)
	// Leaving the player pauses the video, so it waits where the viewer
	// left it (there is no mini-player to keep watching in).
	s.tabs.OnUnselected = func(item *container.TabItem) {
		if item == s.tabs.Items[0] {
			s.player.Pause()
		}
	}

	s.normal = container.NewBorder(s.header(), container.NewPadded(s.footer), nil, nil, s.tabs)
	w.SetContent(s.normal)
	w.Resize(fyne.NewSize(1120, 720))
	w.CenterOnScreen()
	w.SetMaster()
	s.showStatus(s.snapshot())

	w.Canvas().SetOnTypedKey(s.typedKey)
	// Ctrl+L (⌘L) goes to the open bar, as in a browser.
	w.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { w.Canvas().Focus(s.open.entry) })
	w.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { s.dropped(uris) })
	s.setUpTray()
	w.SetCloseIntercept(s.closeRequested)
	return s
}

// header is the app's name and the open bar.
func (s *shell) header() fyne.CanvasObject {
	logo := widget.NewIcon(iconResource(smallIconSize))
	title := widget.NewLabel(windowTitle)
	title.TextStyle.Bold = true
	brand := container.NewHBox(container.NewGridWrap(fyne.NewSize(32, 32), logo), title)
	return container.NewPadded(container.NewBorder(nil, nil, brand, nil, s.open.content()))
}

// play opens a link in the player and shows it.
func (s *shell) play(t link.Target) {
	s.tabs.SelectIndex(0)
	s.player.Open(context.Background(), t)
}

// typedKey hands keys to the player while it shows; the open bar and
// other focused widgets get their keys before this.
func (s *shell) typedKey(ev *fyne.KeyEvent) {
	if s.tabs.SelectedIndex() == 0 {
		s.player.TypedKey(ev)
	}
}

// dropped uploads files dropped on the window, wherever the viewer was.
func (s *shell) dropped(uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() != "file" {
			s.open.showError(fmt.Sprintf("%s is not a file on this computer; drop video files to upload them.", u))
			continue
		}
		paths = append(paths, u.Path())
	}
	if len(paths) == 0 {
		return
	}
	s.tabs.SelectIndex(2)
	s.uploads.Add(paths...)
}

// closeRequested hides the window instead of quitting when the user chose
// to keep seeding and there is a tray to bring it back from (starting
// ipfs-tube again shows it too). Without a tray, closing quits: a hidden
// window with no way back would look like a hung process.
func (s *shell) closeRequested() {
	st, err := s.deps.settings.Load()
	if err == nil && st.KeepSeedingOnClose && !st.SeedingPaused && !s.quitting.Load() && s.hasTray {
		s.player.Stop()
		s.win.Hide()
		s.deps.log.Info("window hidden; still seeding (quit from the tray, or run ipfs-tube again to show it)")
		return
	}
	s.quitting.Store(true)
	s.win.Close()
}

// setUpTray adds a tray icon where the desktop has one: open, pause
// seeding, quit (Fyne adds Quit).
func (s *shell) setUpTray() {
	desk, ok := s.app.(desktop.App)
	if !ok || !trayAvailable() {
		return
	}
	s.hasTray = true
	show := fyne.NewMenuItem("Open IPFS-Tube", func() { s.showWindow() })
	pause := fyne.NewMenuItem("Pause seeding", nil)
	menu := fyne.NewMenu(windowTitle, show, pause)
	setPaused := func(paused bool) {
		pause.Checked = paused
		menu.Refresh()
	}
	if st, err := s.deps.settings.Load(); err == nil {
		pause.Checked = st.SeedingPaused
	}
	pause.Action = func() {
		st, err := s.deps.settings.Update(func(st *settings.Settings) error {
			st.SeedingPaused = !st.SeedingPaused
			return nil
		})
		if err != nil {
			s.deps.log.Warn("pause seeding", "err", err)
			return
		}
		setPaused(st.SeedingPaused)
	}
	desk.SetSystemTrayMenu(menu)
	desk.SetSystemTrayIcon(iconResource(smallIconSize))
}

func (s *shell) showWindow() {
	s.win.Show()
	s.win.RequestFocus()
}

// refreshStatus re-reads the node every statusInterval (and when kicked)
// off the UI thread, and shows it on it.
func (s *shell) refreshStatus(ctx context.Context, kick <-chan struct{}) {
	t := time.NewTicker(statusInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
		// Read the node here: its calls may wait on locks, and the UI
		// thread must never wait.
		snap := s.snapshot()
		fyne.Do(func() {
			if !s.closed.Load() {
				s.showStatus(snap)
			}
		})
	}
}

// snapshot reads the node and whether the seeding engine stopped.
func (s *shell) snapshot() statusSnapshot {
	snap := s.status.snapshot()
	if s.deps.services != nil && s.deps.services.seeding != nil {
		snap.seeding = s.deps.services.seeding.Failure()
	}
	return snap
}

// showStatus shows a reading of the node on the node card and in the
// footer; UI thread only.
func (s *shell) showStatus(snap statusSnapshot) {
	s.status.apply(snap)
	showStatusLine(s.footer, snap)
}

// closeViews stops the views' work; the player saves its position first,
// so the catalog may close after this returns.
func (s *shell) closeViews() {
	s.player.Close()
	s.library.Close()
	s.uploads.Close()
	s.seeding.Close()
	s.settings.Close()
}

// Open implements windowControl: a file or folder is uploaded, a link
// plays, "" shows the window.
func (s *shell) Open(arg string) error {
	if arg == "" {
		fyne.Do(s.showWindow)
		return nil
	}
	if _, err := os.Stat(arg); err == nil {
		// The same path as a file dropped on the window.
		uri := storage.NewFileURI(arg)
		fyne.Do(func() {
			s.showWindow()
			s.dropped([]fyne.URI{uri})
		})
		return nil
	}
	t, err := link.Parse(arg)
	if err != nil {
		return usageError{err}
	}
	fyne.Do(func() {
		s.showWindow()
		s.open.entry.SetText(arg)
		s.play(t)
	})
	return nil
}

// Show implements windowControl.
func (s *shell) Show(view string) error {
	for i, name := range viewNames {
		if name == view {
			fyne.Do(func() { s.tabs.SelectIndex(i) })
			return nil
		}
	}
	return usagef("no view %q; the views are %v", view, viewNames)
}

// State implements windowControl. It reads the widgets on the UI thread
// and gives up after stateTimeout, so a stuck window cannot hang the
// control API.
func (s *shell) State() windowState {
	st := windowState{Player: "idle", Uploads: []uploadState{}}
	ps := s.player.Status()
	st.Player = ps.State.String()
	st.PositionS = ps.Player.Position
	if ps.Err != nil {
		st.PlayerErr = ps.Message
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	if page, err := s.deps.catalog.List(ctx, library.ListOptions{}); err == nil {
		st.Library = page.Total
	}
	select {
	case <-s.deps.services.started:
		st.NodeOnline = s.deps.services.startErr == nil
	default:
	}
	done := make(chan struct{})
	fyne.Do(func() {
		defer close(done)
		if i := s.tabs.SelectedIndex(); i >= 0 && i < len(viewNames) {
			st.View = viewNames[i]
		}
		if pos, size := s.player.PictureArea(); size.Width > 0 {
			scale := s.win.Canvas().Scale()
			st.VideoRect = [4]int{int(pos.X * scale), int(pos.Y * scale), int(size.Width * scale), int(size.Height * scale)}
		}
		for _, r := range s.uploads.Rows() {
			st.Uploads = append(st.Uploads, uploadState{Name: r.Name, Phase: r.Phase, Error: r.Error})
		}
	})
	select {
	case <-done:
	case <-ctx.Done():
	}
	return st
}

// fullScreener puts the player alone in the window while fullscreen, the
// way video apps do, and the side bar and open bar back after.
type fullScreener struct{ s *shell }

func (f fullScreener) FullScreen() bool { return f.s.win.FullScreen() }

func (f fullScreener) SetFullScreen(on bool) {
	s := f.s
	if on == s.win.FullScreen() {
		return
	}
	if on {
		s.tabs.Items[0].Content = widget.NewLabel("") // the player moves to the window
		s.win.SetContent(s.player.Content())
	} else {
		s.tabs.Items[0].Content = s.player.Content()
		s.win.SetContent(s.normal)
		s.tabs.Refresh()
	}
	s.win.SetFullScreen(on)
}
