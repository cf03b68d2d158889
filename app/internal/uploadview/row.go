package uploadview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/library/publish"
)

type rowState int

const (
	stateRunning rowState = iota
	stateDone
	stateFailed
)

// posterSize is the finished card's thumbnail: 16:9, wide enough to
// recognise the video.
var posterSize = fyne.NewSize(256, 144)

// row is one file in the list. Its box keeps its place in the list while
// its content changes from progress to result or error.
type row struct {
	v      *View
	path   string
	name   string
	ctx    context.Context
	cancel context.CancelFunc
	state  rowState
	box    *fyne.Container

	phaseNow publish.Phase

	// While waiting and uploading.
	phase     *widget.Label
	bar       *widget.ProgressBar
	speed     *widget.Label
	cancelBtn *widget.Button

	// When failed.
	errText *widget.Label

	// When done.
	result    publish.Result
	title     *widget.Entry
	save      *widget.Button
	titleNote *widget.Label
	facts     *widget.Label
	links     [3]*widget.Label
	copyBtns  [3]*widget.Button
	playBtn   *widget.Button
}

func newRow(v *View, path string) *row {
	ctx, cancel := context.WithCancel(v.ctx)
	r := &row{v: v, path: path, name: fileName(path), ctx: ctx, cancel: cancel}
	r.box = container.NewStack(r.progressCard())
	return r
}

func (r *row) progressCard() fyne.CanvasObject {
	name := widget.NewLabel(r.name)
	name.TextStyle.Bold = true
	name.Truncation = fyne.TextTruncateEllipsis
	r.phase = widget.NewLabel("Starting")
	r.phase.Importance = widget.LowImportance
	r.bar = widget.NewProgressBar()
	// A percentage means something only once bytes move.
	r.bar.TextFormatter = func() string {
		if r.phaseNow < publish.PhaseImporting {
			return ""
		}
		return fmt.Sprintf("%.0f %%", r.bar.Value*100)
	}
	r.speed = widget.NewLabel("")
	r.speed.Importance = widget.LowImportance
	r.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), r.onCancel)
	top := container.NewBorder(nil, nil, nil, r.phase, name)
	bottom := container.NewBorder(nil, nil, nil, r.cancelBtn, r.speed)
	body := container.NewVBox(top, r.bar, bottom)
	icon := widget.NewIcon(theme.FileVideoIcon())
	return card(container.NewBorder(nil, nil, container.NewCenter(iconBox(icon, 40)), nil, body))
}

func (r *row) onCancel() {
	r.cancel()
	r.cancelBtn.Disable()
	r.phase.SetText("Cancelling…")
}

// run is the row's goroutine.
func (r *row) run() {
	v := r.v
	defer v.wg.Done()
	defer r.cancel()
	res, err := v.up.Upload(r.ctx, r.path, func(p publish.Progress) {
		v.do(func() { r.progress(p) })
	})
	switch {
	case err == nil:
		v.do(func() { r.done(res) })
	case errors.Is(err, context.Canceled):
		// Cancelled by the user or on close: nothing is left to show.
		v.do(func() { v.remove(r) })
	default:
		v.log.Info("upload failed", "path", r.path, "err", err)
		v.do(func() { r.fail(err) })
	}
}

func (r *row) progress(p publish.Progress) {
	if r.ctx.Err() != nil {
		return // "Cancelling…" stays until the row goes
	}
	if p.Phase != r.phaseNow {
		r.phaseNow = p.Phase
		r.v.refreshSummary()
	}
	switch p.Phase {
	case publish.PhaseWaiting:
		r.phase.SetText("Waiting")
		r.speed.SetText("Starts when an upload ahead of it finishes")
	case publish.PhaseImporting:
		r.phase.SetText(fmt.Sprintf("Importing · %s of %s", ui.Bytes(p.Done), ui.Bytes(p.Total)))
		r.bar.SetValue(p.Fraction())
		r.speed.SetText(speedText(p))
	case publish.PhasePublishing:
		r.phase.SetText("Publishing")
		r.bar.SetValue(1)
		r.speed.SetText("Writing poster and details…")
	default:
		r.phase.SetText(p.Phase.String())
	}
}

// speedText is "12 MiB/s · about 20 s left", or a placeholder until the
// rate is known.
func speedText(p publish.Progress) string {
	if p.Rate <= 0 {
		return "Measuring speed…"
	}
	s := ui.Rate(p.Rate)
	if eta := ui.ETA(p.Done, p.Total, p.Rate); eta != "" {
		s += " · " + eta + " left"
	}
	return s
}

func (r *row) fail(err error) {
	r.state = stateFailed
	name := widget.NewLabel(r.name)
	name.TextStyle.Bold = true
	name.Truncation = fyne.TextTruncateEllipsis
	r.errText = widget.NewLabel(message(err))
	r.errText.Wrapping = fyne.TextWrapWord
	r.errText.Importance = widget.DangerImportance
	dismiss := widget.NewButtonWithIcon("Dismiss", theme.ContentClearIcon(), func() { r.v.remove(r) })
	dismiss.Importance = widget.LowImportance
	icon := widget.NewIcon(theme.NewErrorThemedResource(theme.ErrorIcon()))
	body := container.NewBorder(nil, nil, nil, container.NewCenter(dismiss), container.NewVBox(name, r.errText))
	r.box.Objects = []fyne.CanvasObject{card(container.NewBorder(nil, nil, container.NewCenter(iconBox(icon, 40)), nil, body))}
	r.box.Refresh()
	r.v.refreshSummary()
}

func (r *row) done(res publish.Result) {
	r.state = stateDone
	r.result = res

	r.title = widget.NewEntry()
	r.title.SetText(res.Title)
	r.title.SetPlaceHolder("Title")
	r.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), r.saveTitle)
	r.save.Disable()
	r.title.OnChanged = func(s string) {
		if strings.TrimSpace(s) != r.result.Title && strings.TrimSpace(s) != "" {
			r.save.Enable()
		} else {
			r.save.Disable()
		}
	}
	r.title.OnSubmitted = func(string) { r.saveTitle() }
	r.titleNote = widget.NewLabel("")
	r.titleNote.Importance = widget.LowImportance
	r.titleNote.Wrapping = fyne.TextWrapWord
	r.titleNote.Hide()

	r.facts = widget.NewLabel(facts(res))
	r.facts.Importance = widget.LowImportance
	pinned := container.NewHBox(widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), widget.NewLabel("Pinned"))

	shareHead := widget.NewLabel("Share")
	shareHead.TextStyle.Bold = true
	names := [3]string{"IPFS", "Gateway", "Path"}
	grid := container.New(layout.NewFormLayout())
	for i := range r.links {
		r.links[i] = widget.NewLabel("")
		r.links[i].Selectable = true
		r.links[i].Truncation = fyne.TextTruncateEllipsis
		r.links[i].TextStyle.Monospace = true
		i := i
		r.copyBtns[i] = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { r.copyLink(i) })
		label := widget.NewLabel(names[i])
		label.Importance = widget.LowImportance
		grid.Add(label)
		grid.Add(container.NewBorder(nil, nil, nil, r.copyBtns[i], r.links[i]))
	}
	r.showLinks()

	dismiss := widget.NewButtonWithIcon("Done", theme.ContentClearIcon(), func() { r.v.remove(r) })
	dismiss.Importance = widget.LowImportance
	actions := container.NewHBox(layout.NewSpacer(), dismiss)

	titleRow := container.NewBorder(nil, nil, nil, r.save, r.title)
	info := container.NewVBox(
		titleRow, r.titleNote,
		container.NewHBox(r.facts, layout.NewSpacer(), pinned),
		widget.NewSeparator(),
		shareHead, grid,
		actions,
	)
	poster := posterImage(res.PosterJPEG)
	left := container.NewVBox(container.NewGridWrap(posterSize, poster))
	if r.v.opts.play != nil {
		r.playBtn = widget.NewButtonWithIcon("Play", theme.MediaPlayIcon(), func() { r.v.opts.play(r.result) })
		r.playBtn.Importance = widget.HighImportance
		left.Add(r.playBtn)
	}
	r.box.Objects = []fyne.CanvasObject{card(container.NewBorder(nil, nil, left, nil, info))}
	r.box.Refresh()
	r.v.refreshSummary()
}

// facts is the finished card's "0:08 · 640×360 · 7.6 MiB".
func facts(res publish.Result) string {
	parts := []string{ui.Clock(res.Duration)}
	if res.Width > 0 && res.Height > 0 {
		parts = append(parts, fmt.Sprintf("%d×%d", res.Width, res.Height))
	}
	parts = append(parts, ui.Bytes(res.Size))
	return strings.Join(parts, " · ")
}

func (r *row) linkTexts() [3]string {
	l := publish.LinksFor(r.result.Dir)
	return [3]string{l.IPFS, l.Subdomain, l.Path}
}

func (r *row) showLinks() {
	for i, s := range r.linkTexts() {
		r.links[i].SetText(s)
	}
}

func (r *row) copyLink(i int) {
	text := r.linkTexts()[i]
	if r.v.opts.clipboard != nil {
		r.v.opts.clipboard.SetContent(text)
	}
	btn := r.copyBtns[i]
	btn.SetText("Copied")
	btn.SetIcon(theme.ConfirmIcon())
	// The confirmation fades back after a moment; a goroutine of the
	// timer's own, reaching the button through do like every other.
	time.AfterFunc(1500*time.Millisecond, func() {
		r.v.do(func() {
			btn.SetText("Copy")
			btn.SetIcon(theme.ContentCopyIcon())
		})
	})
}

// saveTitle publishes the new title (Enter or Save). The entry is locked
// while the new directory is built, then the links change to it.
func (r *row) saveTitle() {
	title := strings.TrimSpace(r.title.Text)
	if title == r.result.Title || r.state != stateDone {
		return
	}
	r.title.Disable()
	r.save.Disable()
	r.titleNote.SetText("Saving…")
	r.titleNote.Importance = widget.LowImportance
	r.titleNote.Show()
	file := r.result.File
	r.v.wg.Add(1)
	go func() {
		defer r.v.wg.Done()
		res, err := r.v.up.Retitle(r.v.ctx, file, title)
		r.v.do(func() { r.retitled(res, err) })
	}()
}

func (r *row) retitled(res publish.Result, err error) {
	r.title.Enable()
	if err != nil {
		r.titleNote.Importance = widget.DangerImportance
		r.titleNote.SetText(message(err))
		r.save.Enable()
		return
	}
	r.result.Title, r.result.Dir = res.Title, res.Dir
	r.title.SetText(res.Title)
	r.save.Disable()
	r.titleNote.Importance = widget.LowImportance
	r.titleNote.SetText("Saved. The links below now carry the new title; links shared before keep the old one.")
	r.showLinks()
}

// posterImage shows the poster JPEG, or a video icon when there is none.
func posterImage(jpegData []byte) fyne.CanvasObject {
	var img image.Image
	if len(jpegData) > 0 {
		img, _ = jpeg.Decode(bytes.NewReader(jpegData))
	}
	if img == nil {
		return container.NewCenter(iconBox(widget.NewIcon(theme.MediaVideoIcon()), 64))
	}
	c := canvas.NewImageFromImage(img)
	c.FillMode = canvas.ImageFillContain
	c.ScaleMode = canvas.ImageScaleSmooth
	c.CornerRadius = theme.InputRadiusSize()
	return c
}

// iconBox sizes an icon; widget.Icon on its own is as small as text.
func iconBox(icon fyne.CanvasObject, side float32) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSquareSize(side), icon)
}

// card frames one row.
func card(content fyne.CanvasObject) fyne.CanvasObject {
	return widget.NewCard("", "", content)
}
