package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/ipfs-tube/ipfs-tube/app/internal/netstatus"
	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// statusSource is what the window shows about the node.
type statusSource interface {
	ID() peer.ID
	// Addrs is nil before the node is started.
	Addrs() []ma.Multiaddr
	Peers() []peer.ID
	Reachability() network.Reachability
	RepoDir() string
	// GatewayRanking is the gateway fallback's ranking; nil when it is
	// off or the node is not started.
	GatewayRanking() []node.GatewayRank
}

var _ statusSource = (*node.Node)(nil)

type nodeState int

const (
	nodeStarting nodeState = iota
	nodeOnline
	nodeFailed
)

// statusSnapshot is one reading of the node, taken off the UI thread and
// applied on it.
type statusSnapshot struct {
	state    nodeState
	err      error
	id       peer.ID
	peers    int
	reach    network.Reachability
	addrs    []ma.Multiaddr
	repo     string
	gateways netstatus.Gateways
	online   time.Duration // since start returned
	private  bool
	// seeding is why the seeding engine stopped (library.Seeding.Failure);
	// nil while it runs. The shell fills it in.
	seeding error
}

// line is the node's state in words: what it reaches and what that means
// for watching (see netstatus for the policy).
func (s statusSnapshot) line() netstatus.Line {
	state := netstatus.Starting
	switch s.state {
	case nodeOnline:
		state = netstatus.Online
	case nodeFailed:
		state = netstatus.Failed
	}
	return netstatus.Describe(netstatus.Inputs{
		State: state, Peers: s.peers, Gateways: s.gateways, Private: s.private, Online: s.online,
		SeedingStopped: seedingStopReason(s.seeding),
	})
}

// statusView is the node card. snapshot may run on any goroutine; apply,
// update and the widgets belong to the UI thread.
type statusView struct {
	src statusSource
	// private is Settings' private mode at start: no gateways, no
	// announcements. Set before the first snapshot.
	private bool

	mu       sync.Mutex
	state    nodeState
	startErr error
	onlineAt time.Time // when start returned without error

	// shown is the line on screen, so the spinner and icon are touched
	// only when it changes.
	shown     netstatus.Line
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
		shown:     netstatus.Line{Severity: -1},
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
		v.state, v.onlineAt = nodeOnline, time.Now()
	}
}

// snapshot reads the node. Peers and Addrs are read only once start has
// returned successfully: the node sets up its host inside Start, so reading
// them earlier would race with it.
func (v *statusView) snapshot() statusSnapshot {
	v.mu.Lock()
	s := statusSnapshot{state: v.state, err: v.startErr, private: v.private}
	onlineAt := v.onlineAt
	v.mu.Unlock()
	s.id = v.src.ID()
	s.repo = v.src.RepoDir()
	s.reach = v.src.Reachability()
	if s.state == nodeOnline {
		s.peers = len(v.src.Peers())
		s.addrs = v.src.Addrs()
		s.gateways = netstatus.SummarizeGateways(v.src.GatewayRanking())
		s.online = time.Since(onlineAt)
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

// applyState shows the node's state in words on the card: the status
// bar's sentence, with a spinner while it is still finding out, and the
// start error itself when start failed.
func (v *statusView) applyState(s statusSnapshot) {
	line := s.line()
	if s.state == nodeStarting {
		line.Text = "Starting…"
	}
	if line == v.shown {
		return
	}
	v.shown = line
	switch line.Severity {
	case netstatus.Busy:
		v.stateIcon.Hide()
		v.busy.Show()
		v.busy.Start()
		setLabel(v.stateText, line.Text, widget.MediumImportance)
	case netstatus.Good:
		v.showSettled(theme.NewSuccessThemedResource(theme.ConfirmIcon()), line.Text, widget.SuccessImportance)
	case netstatus.Limited:
		v.showSettled(theme.InfoIcon(), line.Text, widget.MediumImportance)
	case netstatus.Offline:
		v.showSettled(theme.NewWarningThemedResource(theme.WarningIcon()), line.Text, widget.WarningImportance)
	case netstatus.Broken:
		v.showSettled(theme.NewErrorThemedResource(theme.ErrorIcon()), "Could not start: "+s.err.Error(), widget.DangerImportance)
	}
}

// showStatusLine puts the node's state in words into the status bar under
// the views: plain while all is well or still settling, in the warning
// colour when nothing but this computer's videos can play, red when the
// node did not start.
func showStatusLine(bar *widget.Label, s statusSnapshot) {
	line := s.line()
	imp := widget.MediumImportance
	switch line.Severity {
	case netstatus.Offline:
		imp = widget.WarningImportance
	case netstatus.Broken:
		imp = widget.DangerImportance
	}
	setLabel(bar, line.Text, imp)
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
		return "None"
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
	}
	if s.state == nodeOnline && s.peers == 0 {
		// AutoNAT asks peers to dial back: with none it never concludes.
		return "Unknown until peers connect"
	}
	return "Checking…"
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
