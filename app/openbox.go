package main

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
)

// openHint is what a viewer can paste, said once where it goes wrong.
const openHint = "Paste a CID, an ipfs:// or ipns:// link, or a gateway link such as https://ipfs.io/ipfs/bafy…"

// openView is the bar at the top of the window where a viewer pastes a
// link. Gateway links become CIDs (link.Parse), so the bytes come through
// our own node; anything else gets a message under the bar saying why.
type openView struct {
	entry      *widget.Entry
	button     *widget.Button
	resultIcon *widget.Icon
	result     *widget.Label
	resultRow  fyne.CanvasObject
	body       fyne.CanvasObject
	onOpen     func(link.Target)
}

// newOpenView builds the bar with initial in the entry; onOpen gets each
// link the viewer opens.
func newOpenView(initial string, onOpen func(link.Target)) *openView {
	o := &openView{
		entry:      widget.NewEntry(),
		resultIcon: widget.NewIcon(theme.NewWarningThemedResource(theme.WarningIcon())),
		result:     widget.NewLabel(""),
		onOpen:     onOpen,
	}
	o.entry.SetPlaceHolder("Paste a CID or ipfs:// link")
	o.button = widget.NewButtonWithIcon("Open", theme.MediaPlayIcon(), o.open)
	o.button.Importance = widget.HighImportance
	o.entry.OnSubmitted = func(string) { o.open() }
	// Only blank input disables Open: a typo should get an explanation on
	// Open, not a silently greyed-out button. Typing again hides an old
	// message.
	o.entry.OnChanged = func(s string) {
		if strings.TrimSpace(s) == "" {
			o.button.Disable()
		} else {
			o.button.Enable()
		}
		o.resultRow.Hide()
	}
	o.result.Wrapping = fyne.TextWrapWord
	o.result.Selectable = true
	o.result.Importance = widget.WarningImportance
	o.resultRow = container.NewBorder(nil, nil, o.resultIcon, nil, o.result)
	o.entry.SetText(strings.TrimSpace(initial))
	o.entry.OnChanged(o.entry.Text)
	o.body = container.NewVBox(
		container.NewBorder(nil, nil, nil, o.button, o.entry),
		o.resultRow,
	)
	return o
}

func (o *openView) content() fyne.CanvasObject { return o.body }

func (o *openView) open() {
	if strings.TrimSpace(o.entry.Text) == "" {
		o.showError(openHint)
		return
	}
	t, err := link.Parse(o.entry.Text)
	if err != nil {
		o.showError(openError(err))
		return
	}
	o.resultRow.Hide()
	if o.onOpen != nil {
		o.onOpen(t)
	}
}

// openError says what was wrong with a pasted link, and what would work.
func openError(err error) string {
	msg := strings.TrimSuffix(err.Error(), ": "+link.ErrNotLink.Error())
	if strings.Contains(msg, link.ErrNotLink.Error()) || !strings.Contains(msg, "web address") {
		msg = "That is not a CID or IPFS link"
	}
	return msg + ". " + openHint
}

func (o *openView) showError(text string) {
	setLabel(o.result, text, widget.WarningImportance)
	o.resultRow.Show()
}
