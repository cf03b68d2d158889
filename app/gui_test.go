package main

import (
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/app/internal/netstatus"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// fakeStatus stands in for the node: this test is about what the labels say,
// not about libp2p.
type fakeStatus struct {
	id   peer.ID
	repo string

	mu        sync.Mutex
	peers     []peer.ID
	addrs     []ma.Multiaddr
	reach     network.Reachability
	ranks     []node.GatewayRank
	hostCalls int // Peers and Addrs calls, which race with node.Start
}

func (f *fakeStatus) ID() peer.ID     { return f.id }
func (f *fakeStatus) RepoDir() string { return f.repo }

func (f *fakeStatus) Peers() []peer.ID {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hostCalls++
	return f.peers
}

func (f *fakeStatus) Addrs() []ma.Multiaddr {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hostCalls++
	return f.addrs
}

func (f *fakeStatus) Reachability() network.Reachability {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reach
}

func (f *fakeStatus) GatewayRanking() []node.GatewayRank {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ranks
}

func newPeerID(t *testing.T) peer.ID {
	t.Helper()
	_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newFake(t *testing.T) *fakeStatus {
	return &fakeStatus{id: newPeerID(t), repo: "/home/me/.local/share/ipfs-tube"}
}

func wantLabel(t *testing.T, name string, l *widget.Label, want string) {
	t.Helper()
	if l.Text != want {
		t.Errorf("%s label = %q, want %q", name, l.Text, want)
	}
}

func TestStatusViewStartingThenOnline(t *testing.T) {
	test.NewTempApp(t)
	src := newFake(t)
	v := newStatusView(src)
	test.NewTempWindow(t, v.content())

	v.update()
	wantLabel(t, "state", v.stateText, "Starting…")
	wantLabel(t, "peer ID", v.peerID, src.id.String())
	wantLabel(t, "peers", v.peers, "—")
	wantLabel(t, "reachability", v.reach, "Checking…")
	wantLabel(t, "addresses", v.addrs, "Not listening yet")
	wantLabel(t, "repo", v.repo, src.repo)
	if src.hostCalls != 0 {
		t.Errorf("Peers/Addrs called %d times before start returned; they race with node.Start", src.hostCalls)
	}
	if v.busy.Hidden || !v.stateIcon.Hidden {
		t.Error("while starting, the spinner should show instead of the state icon")
	}

	other1, other2 := newPeerID(t), newPeerID(t)
	src.mu.Lock()
	src.peers = []peer.ID{other1, other2, newPeerID(t)}
	src.reach = network.ReachabilityPrivate
	src.addrs = []ma.Multiaddr{
		ma.StringCast("/ip4/127.0.0.1/tcp/4001/p2p/" + src.id.String()),
		ma.StringCast("/ip4/192.168.1.20/udp/4001/quic-v1/p2p/" + src.id.String()),
		ma.StringCast("/ip4/93.184.216.34/tcp/4001/p2p/" + src.id.String()),
	}
	src.mu.Unlock()
	v.setStarted(nil)
	v.update()

	wantLabel(t, "state", v.stateText, "Online · 3 peers")
	if v.stateText.Importance != widget.SuccessImportance {
		t.Errorf("online state importance = %v, want success", v.stateText.Importance)
	}
	wantLabel(t, "peers", v.peers, "3 connected")
	wantLabel(t, "reachability", v.reach, "Behind NAT (relays and hole punching on)")
	// Public first, loopback last, and no /p2p suffix: the ID has its own row.
	wantLabel(t, "addresses", v.addrs,
		"/ip4/93.184.216.34/tcp/4001\n/ip4/192.168.1.20/udp/4001/quic-v1\n/ip4/127.0.0.1/tcp/4001")
	if !v.busy.Hidden || v.stateIcon.Hidden {
		t.Error("once online, the state icon should show instead of the spinner")
	}

	src.mu.Lock()
	src.peers = nil
	src.reach = network.ReachabilityPublic
	src.mu.Unlock()
	v.update()
	wantLabel(t, "peers", v.peers, "None")
	wantLabel(t, "reachability", v.reach, "Public")
	// No gateway either (the fallback is off, as with --isolated): once
	// the grace for finding peers is over, the card says what that means.
	v.mu.Lock()
	v.onlineAt = time.Now().Add(-2 * netstatus.ConnectGrace)
	v.mu.Unlock()
	v.update()
	wantLabel(t, "state", v.stateText, "Offline: no peers, and the gateway fallback is off — only videos already on this computer play")
	if v.stateText.Importance != widget.WarningImportance {
		t.Errorf("offline state importance = %v, want warning", v.stateText.Importance)
	}
}

func TestStatusViewStartFailed(t *testing.T) {
	test.NewTempApp(t)
	src := newFake(t)
	v := newStatusView(src)
	test.NewTempWindow(t, v.content())

	v.setStarted(errors.New("listen tcp4 0.0.0.0:4001: address already in use"))
	v.update()

	if !strings.Contains(v.stateText.Text, "address already in use") {
		t.Errorf("state label = %q, want the start error", v.stateText.Text)
	}
	if v.stateText.Importance != widget.DangerImportance {
		t.Errorf("error importance = %v, want danger (red)", v.stateText.Importance)
	}
	wantLabel(t, "reachability", v.reach, "Offline")
	wantLabel(t, "peers", v.peers, "—")
	if src.hostCalls != 0 {
		t.Errorf("Peers/Addrs called %d times on a node that never started", src.hostCalls)
	}
}

func TestStatusViewManyAddrs(t *testing.T) {
	test.NewTempApp(t)
	src := newFake(t)
	for _, s := range []string{
		"/ip4/93.184.216.34/tcp/4001", "/ip4/93.184.216.34/udp/4001/quic-v1",
		"/ip6/2001:db8::1/tcp/4001", "/ip6/2001:db8::1/udp/4001/quic-v1",
		"/ip4/10.0.0.2/tcp/4001", "/ip4/127.0.0.1/tcp/4001",
	} {
		src.addrs = append(src.addrs, ma.StringCast(s))
	}
	v := newStatusView(src)
	v.setStarted(nil)
	v.update()

	lines := strings.Split(v.addrs.Text, "\n")
	if len(lines) != maxShownAddrs+1 || lines[maxShownAddrs] != "and 3 more" {
		t.Errorf("addresses = %q, want %d addresses and \"and 3 more\"", lines, maxShownAddrs)
	}
}

func TestCopyPeerID(t *testing.T) {
	a := test.NewTempApp(t)
	src := newFake(t)
	v := newStatusView(src)
	test.NewTempWindow(t, v.content())
	v.update()

	test.Tap(v.copyID)
	if got := a.Clipboard().Content(); got != src.id.String() {
		t.Errorf("clipboard = %q, want the peer ID %q", got, src.id)
	}
	if v.copyID.Icon.Name() != theme.ConfirmIcon().Name() {
		t.Errorf("copy button icon = %s, want the tick as feedback", v.copyID.Icon.Name())
	}
	v.copiedAt = time.Now().Add(-2 * time.Second)
	v.update()
	if v.copyID.Icon.Name() != theme.ContentCopyIcon().Name() {
		t.Errorf("copy button icon = %s a refresh later, want the copy icon back", v.copyID.Icon.Name())
	}
}

func TestOpenView(t *testing.T) {
	test.NewTempApp(t)
	const c = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"

	var opened []string
	o := newOpenView("", func(t link.Target) { opened = append(opened, t.String()) })
	w := test.NewTempWindow(t, o.content())
	w.Resize(fyne.NewSize(600, 200))
	if o.entry.PlaceHolder != "Paste a CID or ipfs:// link" {
		t.Errorf("placeholder = %q", o.entry.PlaceHolder)
	}
	if !o.button.Disabled() {
		t.Error("Open should be disabled while the entry is empty")
	}
	if o.resultRow.Visible() {
		t.Error("message shown before anything was opened")
	}

	for _, tc := range []struct{ in, want string }{
		{"  ipfs://" + c + "  ", "/ipfs/" + c},
		{c, "/ipfs/" + c},
		{"/ipfs/" + c + "/clip.mp4", "/ipfs/" + c + "/clip.mp4"},
		{"ipns://example.org", "/ipns/example.org"},
		{"https://ipfs.io/ipfs/" + c + "?filename=a.mp4", "/ipfs/" + c},
		{"https://" + c + ".ipfs.dweb.link/a.webm", "/ipfs/" + c + "/a.webm"},
	} {
		opened = nil
		o.entry.SetText("")
		test.Type(o.entry, tc.in)
		if o.button.Disabled() {
			t.Fatalf("%q: Open still disabled after typing", tc.in)
		}
		test.Tap(o.button)
		if len(opened) != 1 || opened[0] != tc.want {
			t.Errorf("%q opened %v, want [%s]", tc.in, opened, tc.want)
		}
		if o.resultRow.Visible() {
			t.Errorf("%q: a message shows for a valid link: %q", tc.in, o.result.Text)
		}
	}

	for _, tc := range []struct{ in, want string }{
		{"hello, world", "That is not a CID or IPFS link."},
		{"bafy123", "That is not a CID or IPFS link."},
		{"ipns://", "That is not a CID or IPFS link."},
		{"https://example.com/video.mp4", "is a web address, not an IPFS gateway link."},
	} {
		opened = nil
		o.entry.SetText(tc.in)
		o.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if len(opened) != 0 {
			t.Errorf("%q opened %v", tc.in, opened)
		}
		if !o.resultRow.Visible() || !strings.Contains(o.result.Text, tc.want) || !strings.Contains(o.result.Text, "Paste a CID") {
			t.Errorf("%q: message %q (shown %v), want it to say %q and what to paste", tc.in, o.result.Text, o.resultRow.Visible(), tc.want)
		}
		if o.result.Importance != widget.WarningImportance {
			t.Errorf("%q: message importance %v, want a warning", tc.in, o.result.Importance)
		}
	}
	// Typing again clears the message.
	test.Type(o.entry, "x")
	if o.resultRow.Visible() {
		t.Error("message still shown after typing")
	}

	// Enter in a blank entry must not pretend to open anything.
	o.entry.SetText("   ")
	if !o.button.Disabled() {
		t.Error("Open enabled for a blank entry")
	}
	o.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(opened) != 0 || !o.resultRow.Visible() {
		t.Errorf("blank entry: opened %v, message shown %v", opened, o.resultRow.Visible())
	}
}

func TestFooterShowsPrivateMode(t *testing.T) {
	test.NewTempApp(t)
	footer := widget.NewLabel("")
	online := statusSnapshot{state: nodeOnline, peers: 2}
	showStatusLine(footer, online)
	if strings.Contains(footer.Text, "Private") || footer.Text != "Online · 2 peers" {
		t.Errorf("footer %q", footer.Text)
	}
	online.private = true
	showStatusLine(footer, online)
	if !strings.Contains(footer.Text, "Private mode: no gateways, no announcements") {
		t.Errorf("private footer %q does not say so", footer.Text)
	}
}
