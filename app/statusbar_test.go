package main

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui/uitest"
	"github.com/ipfs-tube/ipfs-tube/node"
	"github.com/ipfs-tube/ipfs-tube/node/gwfetch"
)

// TestStatusBarSaysOffline is a machine with no network at all: the node
// started, no peer connected, and the gateway fallback's probes found no
// gateway. The footer must say so in words a viewer understands, in the
// warning colour, not "Online · None yet · Checking…".
func TestStatusBarSaysOffline(t *testing.T) {
	a := test.NewTempApp(t)
	src := newFake(t)
	src.ranks = []node.GatewayRank{
		{URL: "https://trustless-gateway.link", State: gwfetch.StateUnreachable, Requests: 2},
		{URL: "https://ipfs.io", State: gwfetch.StateUnreachable, Requests: 2},
		{URL: "https://dweb.link", State: gwfetch.StateCooling, Requests: 1},
	}
	footer := widget.NewLabel("")
	footer.SizeName = theme.SizeNameCaptionText
	s := &shell{deps: guiDeps{node: src}, status: newStatusView(src), footer: footer}
	w := test.NewTempWindow(t, container.NewBorder(nil, container.NewPadded(footer), nil, nil, s.status.content()))
	w.Resize(fyne.NewSize(1120, 400))

	s.status.setStarted(nil)
	s.showStatus(s.status.snapshot())

	const want = "Offline: no peers and no gateway reachable — only videos already on this computer play"
	warning := a.Settings().Theme().Color(theme.ColorNameWarning, a.Settings().ThemeVariant())
	var shown []string
	var found *canvas.Text
	uitest.Walk(footer, func(o fyne.CanvasObject, _ fyne.Tappable) {
		if txt, ok := o.(*canvas.Text); ok && txt.Text != "" {
			shown = append(shown, txt.Text)
			if txt.Text == want && found == nil {
				found = txt
			}
		}
	})
	if found == nil {
		t.Fatalf("the window does not say %q; it shows %q", want, shown)
	}
	if !sameColor(found.Color, warning) {
		t.Errorf("the offline sentence is drawn in %v, want the warning colour %v", found.Color, warning)
	}
}

func sameColor(a, b color.Color) bool {
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, ba := b.RGBA()
	return ar == br && ag == bg && ab == bb && aa == ba
}
