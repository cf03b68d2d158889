package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/node"
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
)

// statusSource is what the window shows about the node.
type statusSource interface {
	ID() peer.ID
	// Addrs is nil before the node is started.
	Addrs() []ma.Multiaddr
	Peers() []peer.ID
	Reachability() network.Reachability
	RepoDir() string
}

var _ statusSource = (*node.Node)(nil)

// runGUI shows the main window and blocks until the window closes or ctx ends.
// It must be called on the main goroutine, once per process (Fyne runs one
// app per process). n is already created (node.New) but maybe not started;
// start is called by runGUI in a goroutine AFTER the window is shown, so the
// window appears before the node finished starting; a nil start means n is
// already running. openTarget is a CID or link to open at start ("" for
// none).
//
// runGUI returns nil when the window is closed or ctx ends, and only after
// start has returned (its context is cancelled first) and the status refresh
// has stopped, so the caller may Close n right away. A start error is shown
// in the window, not returned: the user reads it there before closing.
func runGUI(ctx context.Context, n statusSource, start func(context.Context) error, openTarget string) error {
	a := app.NewWithID(appID)
	w := a.NewWindow(windowTitle)
	status := newStatusView(n)
	open := newOpenView(openTarget)
	w.SetContent(mainContent(status, open))
	w.Resize(fyne.NewSize(960, 600))
	w.CenterOnScreen()
	w.SetMaster()
	w.Canvas().Focus(open.entry)
	// Safe before start: while starting, update reads only what New set up.
	status.update()

	life, cancel := context.WithCancel(ctx)
	defer cancel()
	// closed stops late fyne.Do callbacks from touching a dead window; it is
	// atomic because Fyne runs such callbacks inline once it has shut down.
	var closed atomic.Bool
	w.SetOnClosed(func() {
		closed.Store(true)
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
				err = start(life)
			}
			status.setStarted(err)
			select {
			case kick <- struct{}{}:
			default:
			}
		}()
		go func() {
			defer wg.Done()
			t := time.NewTicker(statusInterval)
			defer t.Stop()
			for {
				select {
				case <-life.Done():
					return
				case <-t.C:
				case <-kick:
				}
				// Read the node here, off the UI thread: its calls may wait
				// on locks, and the UI thread must never wait.
				s := status.snapshot()
				fyne.Do(func() {
					if !closed.Load() {
						status.apply(s)
					}
				})
			}
		}()
		go func() {
			defer wg.Done()
			<-life.Done()
			if ctx.Err() != nil {
				fyne.Do(a.Quit)
			}
		}()
	})

	w.ShowAndRun()
	cancel()
	wg.Wait()
	return nil
}

// mainContent lays out the whole window: header, the open card (the thing a
// viewer came for) and the node card.
func mainContent(status *statusView, open *openView) fyne.CanvasObject {
	logo := widget.NewIcon(theme.NewPrimaryThemedResource(theme.MediaVideoIcon()))
	title := widget.NewLabel(windowTitle)
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle.Bold = true
	tagline := ui.DimText("Watch, share and seed video over IPFS")
	// Labels carry their own inner padding, so a plain VBox would leave the
	// tagline floating far below the title; a negative gap pulls them together.
	header := container.NewBorder(nil, nil,
		container.NewGridWrap(fyne.NewSize(48, 48), logo), nil,
		container.New(layout.NewCustomPaddedVBoxLayout(-theme.Padding()*2), title, tagline),
	)

	body := container.NewVBox(
		header,
		ui.Section(theme.MediaPlayIcon(), "Open a video", open.content()),
		ui.Section(theme.ComputerIcon(), "Your node", status.content()),
	)
	return container.NewVScroll(container.NewPadded(body))
}

type nodeState int

const (
	nodeStarting nodeState = iota
	nodeOnline
	nodeFailed
)

// statusSnapshot is one reading of the node, taken off the UI thread and
// applied on it.
type statusSnapshot struct {
	state nodeState
	err   error
	id    peer.ID
	peers int
	reach network.Reachability
	addrs []ma.Multiaddr
	repo  string
}

// statusView is the node card. snapshot may run on any goroutine; apply,
// update and the widgets belong to the UI thread.
type statusView struct {
	src statusSource

	mu       sync.Mutex
	state    nodeState
	startErr error

	// shown is the state on screen, so the spinner and icon are touched
	// only when it changes.
	shown     nodeState
	busy      *widget.Activity
	stateIcon *widget.Icon
	stateText *widget.Label
	peerID    *widget.Label
	copyID    *widget.Button
	copiedAt  time.Time
	peers     *widget.Label
	reach     *widget.Label
	addrs     *widget.Label
	repo      *widget.Label
	body      fyne.CanvasObject
}

func newStatusView(src statusSource) *statusView {
	v := &statusView{
		src:       src,
		shown:     -1,
		busy:      widget.NewActivity(),
		stateIcon: widget.NewIcon(nil),
		stateText: widget.NewLabel(""),
		peerID:    selectableLabel(),
		peers:     widget.NewLabel(""),
		reach:     widget.NewLabel(""),
		addrs:     selectableLabel(),
		repo:      selectableLabel(),
	}
	v.stateText.Wrapping = fyne.TextWrapWord
	v.stateText.Selectable = true // so a start error can be pasted into a bug report
	v.stateText.TextStyle.Bold = true
	v.peerID.TextStyle.Monospace = true
	v.copyID = widget.NewButtonWithIcon("", theme.ContentCopyIcon(), v.copyPeerID)

	// A long start error wraps onto several lines; keep the icon beside the
	// first one rather than centred on the block.
	lineHeight := widget.NewLabel("X").MinSize().Height
	marker := container.NewGridWrap(fyne.NewSize(theme.IconInlineSize(), lineHeight),
		container.NewStack(v.busy, v.stateIcon))
	stateRow := container.NewBorder(nil, nil, container.NewVBox(marker), nil, v.stateText)
	// The button sits right after the ID so it reads as "copy this".
	idRow := container.NewHBox(v.peerID, v.copyID)
	v.body = container.New(layout.NewFormLayout(),
		ui.DimText("Status"), stateRow,
		ui.DimText("Peer ID"), idRow,
		ui.DimText("Peers"), v.peers,
		ui.DimText("Reachability"), v.reach,
		ui.DimText("Addresses"), v.addrs,
		ui.DimText("Repository"), v.repo,
	)
	return v
}

func (v *statusView) content() fyne.CanvasObject { return v.body }

// setStarted records how start ended; nil means online. Any goroutine.
func (v *statusView) setStarted(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		v.state, v.startErr = nodeFailed, err
	} else {
		v.state = nodeOnline
	}
}

// snapshot reads the node. Peers and Addrs are read only once start has
// returned successfully: the node sets up its host inside Start, so reading
// them earlier would race with it.
func (v *statusView) snapshot() statusSnapshot {
	v.mu.Lock()
	s := statusSnapshot{state: v.state, err: v.startErr}
	v.mu.Unlock()
	s.id = v.src.ID()
	s.repo = v.src.RepoDir()
	s.reach = v.src.Reachability()
	if s.state == nodeOnline {
		s.peers = len(v.src.Peers())
		s.addrs = v.src.Addrs()
	}
	return s
}

// update reads the node and shows it at once, on the UI thread; for tests and
// for the first paint, where the node is not started or not doing anything.
func (v *statusView) update() { v.apply(v.snapshot()) }

func (v *statusView) apply(s statusSnapshot) {
	v.applyState(s)
	if !v.copiedAt.IsZero() && time.Since(v.copiedAt) >= time.Second {
		v.copiedAt = time.Time{}
		v.copyID.SetIcon(theme.ContentCopyIcon())
	}
	if s.id == "" {
		setLabel(v.peerID, "—", widget.MediumImportance)
		v.copyID.Disable()
	} else {
		setLabel(v.peerID, s.id.String(), widget.MediumImportance)
		v.copyID.Enable()
	}
	setLabel(v.peers, peersText(s), widget.MediumImportance)
	setLabel(v.reach, reachText(s), widget.MediumImportance)
	// Monospace lines addresses up; a lone dash in monospace looks stray.
	v.addrs.TextStyle.Monospace = s.state == nodeOnline && len(s.addrs) > 0
	setLabel(v.addrs, addrsText(s), widget.MediumImportance)
	setLabel(v.repo, s.repo, widget.MediumImportance)
}

func (v *statusView) applyState(s statusSnapshot) {
	if s.state == v.shown {
		return
	}
	v.shown = s.state
	switch s.state {
	case nodeStarting:
		v.stateIcon.Hide()
		v.busy.Show()
		v.busy.Start()
		setLabel(v.stateText, "Starting…", widget.MediumImportance)
	case nodeOnline:
		v.showSettled(theme.NewSuccessThemedResource(theme.ConfirmIcon()), "Online", widget.SuccessImportance)
	case nodeFailed:
		v.showSettled(theme.NewErrorThemedResource(theme.ErrorIcon()), "Could not start: "+s.err.Error(), widget.DangerImportance)
	}
}

// showSettled replaces the spinner with an icon and a final state text.
func (v *statusView) showSettled(icon fyne.Resource, text string, imp widget.Importance) {
	v.busy.Stop()
	v.busy.Hide()
	v.stateIcon.SetResource(icon)
	v.stateIcon.Show()
	setLabel(v.stateText, text, imp)
}

func (v *statusView) copyPeerID() {
	id := v.peerID.Text
	if id == "" || id == "—" {
		return
	}
	fyne.CurrentApp().Clipboard().SetContent(id)
	// The tick is the only sign the copy happened. The next status refresh
	// after a second puts the copy icon back, which keeps this on the UI
	// thread instead of a timer goroutine outliving the window.
	v.copiedAt = time.Now()
	v.copyID.SetIcon(theme.ConfirmIcon())
}

func peersText(s statusSnapshot) string {
	switch {
	case s.state != nodeOnline:
		return "—"
	case s.peers == 0:
		return "None yet"
	case s.peers == 1:
		return "1 connected"
	default:
		return fmt.Sprintf("%d connected", s.peers)
	}
}

// reachText says in plain words what AutoNAT concluded.
func reachText(s statusSnapshot) string {
	if s.state == nodeFailed {
		return "Offline"
	}
	switch s.reach {
	case network.ReachabilityPublic:
		return "Public"
	case network.ReachabilityPrivate:
		return "Behind NAT (relays and hole punching on)"
	default:
		return "Checking…"
	}
}

func addrsText(s statusSnapshot) string {
	switch s.state {
	case nodeStarting:
		return "Not listening yet"
	case nodeFailed:
		return "—"
	}
	shown := displayAddrs(s.addrs)
	if len(shown) == 0 {
		return "None"
	}
	extra := len(shown) - maxShownAddrs
	if extra > 0 {
		shown = append(shown[:maxShownAddrs], fmt.Sprintf("and %d more", extra))
	}
	return strings.Join(shown, "\n")
}

// displayAddrs drops the /p2p/ID suffix (the peer ID has its own row) and
// lists what others can most likely dial first.
func displayAddrs(addrs []ma.Multiaddr) []string {
	type ranked struct {
		text string
		rank int
	}
	seen := map[string]bool{}
	var out []ranked
	for _, a := range addrs {
		if a == nil {
			continue
		}
		transport, _ := peer.SplitAddr(a)
		if transport == nil {
			transport = a
		}
		text := transport.String()
		if seen[text] {
			continue
		}
		seen[text] = true
		out = append(out, ranked{text, addrRank(transport)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].rank < out[j].rank })
	texts := make([]string, len(out))
	for i, r := range out {
		texts[i] = r.text
	}
	return texts
}

func addrRank(a ma.Multiaddr) int {
	if _, err := a.ValueForProtocol(ma.P_CIRCUIT); err == nil {
		return 2
	}
	switch {
	case manet.IsIPLoopback(a):
		return 3
	case manet.IsPublicAddr(a):
		return 0
	default:
		return 1
	}
}

// openView is the "paste a link" card. Until playback exists, Open only
// shows what the link resolves to.
type openView struct {
	entry      *widget.Entry
	button     *widget.Button
	resultIcon *widget.Icon
	result     *widget.Label
	resultRow  fyne.CanvasObject
	body       fyne.CanvasObject
}

func newOpenView(initial string) *openView {
	o := &openView{
		entry:      widget.NewEntry(),
		resultIcon: widget.NewIcon(nil),
		result:     widget.NewLabel(""),
	}
	o.entry.SetPlaceHolder("Paste a CID or ipfs:// link")
	o.button = widget.NewButtonWithIcon("Open", theme.MediaPlayIcon(), o.open)
	o.button.Importance = widget.HighImportance
	o.entry.OnSubmitted = func(string) { o.open() }
	// Only blank input disables Open: a typo should get an explanation on
	// Open, not a silently greyed-out button.
	o.entry.OnChanged = func(s string) {
		if strings.TrimSpace(s) == "" {
			o.button.Disable()
		} else {
			o.button.Enable()
		}
	}
	o.entry.SetText(strings.TrimSpace(initial))
	o.entry.OnChanged(o.entry.Text)

	o.result.Wrapping = fyne.TextWrapBreak
	o.result.Selectable = true
	o.resultRow = container.NewBorder(nil, nil, o.resultIcon, nil, o.result)
	o.resultRow.Hide()
	o.body = container.NewVBox(
		container.NewBorder(nil, nil, nil, o.button, o.entry),
		o.resultRow,
	)
	return o
}

func (o *openView) content() fyne.CanvasObject { return o.body }

func (o *openView) open() {
	t, err := link.Parse(o.entry.Text)
	switch {
	case strings.TrimSpace(o.entry.Text) == "":
		o.showResult(false, "Paste a CID or ipfs:// link first.")
	case err != nil:
		o.showResult(false, err.Error())
	default:
		o.showResult(true, t.String()+"\nPlayback arrives in a later version.")
	}
}

func (o *openView) showResult(ok bool, text string) {
	if ok {
		o.resultIcon.SetResource(theme.NewPrimaryThemedResource(theme.InfoIcon()))
		setLabel(o.result, text, widget.MediumImportance)
	} else {
		o.resultIcon.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
		setLabel(o.result, text, widget.WarningImportance)
	}
	o.resultRow.Show()
}

func selectableLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Selectable = true
	return l
}

// setLabel touches a label only on change: a refresh every second would
// otherwise wipe a selection the user is making.
func setLabel(l *widget.Label, text string, imp widget.Importance) {
	if l.Text == text && l.Importance == imp {
		return
	}
	l.Importance = imp
	l.SetText(text)
}
