package playerview

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// widgets are the view's Fyne objects, touched on the UI thread only.
type widgets struct {
	root    fyne.CanvasObject
	surface *surface

	panel       fyne.CanvasObject // the message card over the video
	card        *cardLayout       // places panel
	cardBox     *fyne.Container   // laid out by card
	panelIcon   *widget.Icon
	iconBox     fyne.CanvasObject // holds panelIcon; hidden with it
	spinner     *widget.Activity
	spinBox     fyne.CanvasObject
	spinning    bool
	headline    *widget.Label
	hint        *widget.Label
	panelShown  bool
	overlayIcon fyne.Resource

	seek         *seekBar
	playBtn      *widget.Button
	timeText     *widget.Label
	title        *widget.Label
	statsText    *widget.RichText
	muteBtn      *widget.Button
	volumeSlider *widget.Slider
	tracksBtn    *widget.Button
	fullBtn      *widget.Button

	// settingVolume tells the slider's OnChanged that the view moved it,
	// not the viewer.
	settingVolume bool
	// shownSess is the session whose frames the surface holds; a new one
	// starts from black.
	shownSess *session
}

const (
	cardWidth        = 460
	shortCardWidth   = 280
	spinnerCardWidth = 88
)

var (
	controlsColor = color.NRGBA{0x16, 0x16, 0x1a, 0xff}
	panelColor    = color.NRGBA{0x10, 0x10, 0x14, 0xd8}
)

// build lays the view out: the video with a message card over it, the
// seek bar, and one row of controls.
func (v *View) build() *widgets {
	w := &widgets{surface: newSurface()}
	w.surface.onResize = v.surfaceResized
	w.surface.onTap = func() { v.togglePlay() }
	w.surface.onDoubleTap = func() { v.toggleFullScreen() }

	w.panelIcon = widget.NewIcon(theme.MediaVideoIcon())
	w.spinner = widget.NewActivity()
	w.headline = widget.NewLabel("")
	w.headline.Alignment = fyne.TextAlignCenter
	w.headline.TextStyle.Bold = true
	w.headline.SizeName = theme.SizeNameSubHeadingText
	w.headline.Wrapping = fyne.TextWrapWord
	w.hint = widget.NewLabel("")
	w.hint.Alignment = fyne.TextAlignCenter
	w.hint.Wrapping = fyne.TextWrapWord
	bg := canvas.NewRectangle(panelColor)
	bg.CornerRadius = theme.InputRadiusSize() * 2
	w.iconBox = container.NewCenter(container.NewGridWrap(fyne.NewSize(48, 48), w.panelIcon))
	w.spinBox = container.NewCenter(container.NewGridWrap(fyne.NewSize(40, 40), w.spinner))
	w.spinBox.Hide()
	w.panel = container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(16, 16, 24, 24),
		container.NewVBox(w.iconBox, w.spinBox, w.headline, w.hint)))
	w.card = &cardLayout{maxWidth: cardWidth}
	w.cardBox = container.New(w.card, w.panel)
	video := container.NewStack(w.surface, w.cardBox)

	w.seek = newSeekBar(v.seekFraction)
	w.playBtn = widget.NewButtonWithIcon("", theme.MediaPlayIcon(), func() { v.togglePlay() })
	w.playBtn.Importance = widget.LowImportance
	w.timeText = widget.NewLabel("0:00 / 0:00")
	w.timeText.TextStyle.Monospace = true
	w.title = widget.NewLabel("")
	w.title.TextStyle.Bold = true
	w.title.Truncation = fyne.TextTruncateEllipsis
	w.statsText = ui.DimText("")
	w.muteBtn = widget.NewButtonWithIcon("", theme.VolumeUpIcon(), v.toggleMute)
	w.muteBtn.Importance = widget.LowImportance
	w.volumeSlider = widget.NewSlider(0, 100)
	w.volumeSlider.Step = 1
	w.volumeSlider.OnChanged = func(f float64) {
		if !w.settingVolume {
			v.setVolume(f)
		}
	}
	w.volumeSlider.OnChangeEnded = func(float64) {
		// A focused slider would take ←/→ from seeking.
		if c := fyne.CurrentApp().Driver().CanvasForObject(w.volumeSlider); c != nil {
			c.Unfocus()
		}
	}
	w.tracksBtn = widget.NewButtonWithIcon("", theme.SettingsIcon(), v.showTrackMenu)
	w.tracksBtn.Importance = widget.LowImportance
	w.fullBtn = widget.NewButtonWithIcon("", theme.ViewFullScreenIcon(), func() { v.toggleFullScreen() })
	w.fullBtn.Importance = widget.LowImportance
	if v.cfg.window == nil {
		w.fullBtn.Hide()
	}

	volumeBox := container.NewGridWrap(fyne.NewSize(96, w.volumeSlider.MinSize().Height), w.volumeSlider)
	left := container.NewHBox(w.playBtn, w.timeText)
	right := container.NewHBox(container.NewCenter(w.statsText), widget.NewSeparator(),
		w.muteBtn, container.NewCenter(volumeBox), w.tracksBtn, w.fullBtn)
	row := container.NewBorder(nil, nil, left, right, w.title)
	controls := container.NewStack(canvas.NewRectangle(controlsColor),
		container.New(layout.NewCustomPaddedLayout(2, 4, 8, 8), container.NewVBox(w.seek, row)))

	// A player is dark whatever the app's theme: light text on the black
	// letterbox, no white controls glaring under a film.
	w.root = container.NewThemeOverride(container.NewBorder(nil, controls, nil, nil, video),
		darkTheme{fyne.CurrentApp().Settings().Theme()})
	return w
}

// refreshUI brings every widget up to date with the view's state.
func (v *View) refreshUI() {
	w := v.widgets
	st := v.Status()
	v.mu.Lock()
	s := v.sess
	var local []span
	if s != nil {
		local = s.local
	}
	v.mu.Unlock()

	if s != w.shownSess {
		w.shownSess = s
		w.surface.clear()
	}

	// The card over the video: empty state, progress or error.
	headline, hint := describe(st)
	busy := s != nil && st.Err == nil &&
		(st.Resolving || st.Resuming || st.State == playback.Loading || st.State == playback.Buffering)
	var icon fyne.Resource
	switch {
	case s == nil:
		icon = theme.MediaVideoIcon()
		headline, hint = emptyHeadline, emptyHint
	case st.Err != nil:
		icon = theme.ErrorIcon()
	}
	if busy != w.spinning {
		w.spinning = busy
		if busy {
			w.spinBox.Show()
			w.spinner.Start()
		} else {
			w.spinner.Stop()
			w.spinBox.Hide()
		}
	}
	if icon != w.overlayIcon {
		w.overlayIcon = icon
		if icon != nil {
			w.panelIcon.SetResource(icon)
		}
		setShown(w.iconBox, icon != nil)
	}
	setLabel(w.headline, headline)
	setLabel(w.hint, hint)
	setShown(w.hint, hint != "")
	setShown(w.headline, headline != "")
	// A spinner alone gets a small card, not a wide empty one.
	width := float32(cardWidth)
	switch {
	case headline == "" && icon == nil:
		width = spinnerCardWidth
	case hint == "":
		width = shortCardWidth
	}
	if w.card.maxWidth != width {
		w.card.maxWidth = width
		w.cardBox.Refresh()
	}
	if shown := busy || headline != ""; shown != w.panelShown {
		w.panelShown = shown
		setShown(w.panel, shown)
	}

	// Controls.
	playIcon, playOK := theme.MediaPauseIcon(), s != nil && st.Err == nil && !st.Resolving
	switch st.State {
	case playback.Paused:
		playIcon = theme.MediaPlayIcon()
	case playback.Ended:
		playIcon = theme.MediaReplayIcon()
	case playback.Idle, playback.Error:
		playIcon = theme.MediaPlayIcon()
	}
	if w.playBtn.Icon != playIcon {
		w.playBtn.SetIcon(playIcon)
	}
	setEnabled(w.playBtn, playOK)

	pos, dur := seconds(st.Player.Position), seconds(st.Player.Duration)
	if st.Resuming {
		pos = st.ResumeAt
	}
	setLabel(w.timeText, ui.Clock(pos)+" / "+ui.Clock(dur))
	w.seek.set(pos.Truncate(100*time.Millisecond), dur, local, playOK && dur > 0)
	setLabel(w.title, st.Title)

	if seg, ok := w.statsText.Segments[0].(*widget.TextSegment); ok && seg.Text != st.Stats {
		seg.Text = st.Stats
		w.statsText.Refresh()
	}

	shownVolume := st.Volume
	if st.Muted {
		shownVolume = 0
	}
	volIcon := theme.VolumeUpIcon()
	switch {
	case shownVolume == 0:
		volIcon = theme.VolumeMuteIcon()
	case shownVolume < 50:
		volIcon = theme.VolumeDownIcon()
	}
	if w.muteBtn.Icon != volIcon {
		w.muteBtn.SetIcon(volIcon)
	}
	if w.volumeSlider.Value != shownVolume {
		w.settingVolume = true
		w.volumeSlider.SetValue(shownVolume)
		w.settingVolume = false
	}

	setEnabled(w.tracksBtn, playOK && hasTrackChoice(st.Player.Tracks))
	if win := v.cfg.window; win != nil {
		full := theme.ViewFullScreenIcon()
		if win.FullScreen() {
			full = theme.ViewRestoreIcon()
		}
		if w.fullBtn.Icon != full {
			w.fullBtn.SetIcon(full)
		}
	}
}

func setLabel(l *widget.Label, s string) {
	if l.Text != s {
		l.SetText(s)
	}
}

func setShown(o fyne.CanvasObject, on bool) {
	if on && !o.Visible() {
		o.Show()
	} else if !on && o.Visible() {
		o.Hide()
	}
}

func setEnabled(b *widget.Button, on bool) {
	if on && b.Disabled() {
		b.Enable()
	} else if !on && !b.Disabled() {
		b.Disable()
	}
}

// hasTrackChoice: a menu with one audio track and no subtitles offers
// nothing to choose.
func hasTrackChoice(tracks []playback.Track) bool {
	audio := 0
	for _, t := range tracks {
		switch t.Type {
		case playback.SubtitleTrack:
			return true
		case playback.AudioTrack:
			audio++
		}
	}
	return audio > 1
}

// trackMenu lists the audio and subtitle tracks, the selected ones ticked.
func (v *View) trackMenu() *fyne.Menu {
	st := v.Status()
	var items []*fyne.MenuItem
	section := func(title string, typ playback.TrackType, off string, sel func(id int)) {
		if len(items) > 0 {
			items = append(items, fyne.NewMenuItemSeparator())
		}
		items = append(items, &fyne.MenuItem{Label: title, Disabled: true})
		anySelected := false
		for _, t := range st.Player.Tracks {
			if t.Type != typ {
				continue
			}
			id := t.ID
			it := fyne.NewMenuItem(trackLabel(t), func() { sel(id) })
			it.Checked = t.Selected
			anySelected = anySelected || t.Selected
			items = append(items, it)
		}
		it := fyne.NewMenuItem(off, func() { sel(0) })
		it.Checked = !anySelected
		items = append(items, it)
	}
	send := func(fn func(p *playback.Player) error) {
		if s := v.current(); s != nil {
			s.send(fn)
		}
	}
	section("Audio", playback.AudioTrack, "No sound", func(id int) {
		send(func(p *playback.Player) error { return p.SelectAudio(id) })
	})
	section("Subtitles", playback.SubtitleTrack, "No subtitles", func(id int) {
		send(func(p *playback.Player) error { return p.SelectSubtitle(id) })
	})
	return fyne.NewMenu("", items...)
}

func (v *View) showTrackMenu() {
	c := fyne.CurrentApp().Driver().CanvasForObject(v.tracksBtn)
	if c == nil {
		return
	}
	menu := v.trackMenu()
	// Open upwards and leftwards: the button sits in the bottom right
	// corner of the window.
	size := widget.NewPopUpMenu(menu, c).MinSize()
	at := fyne.NewPos(v.tracksBtn.Size().Width-size.Width, -size.Height)
	widget.ShowPopUpMenuAtRelativePosition(menu, c, at, v.tracksBtn)
}

// trackLabel names a track the way a viewer picks it: its title, else
// its language, else its number, with the codec as a hint.
func trackLabel(t playback.Track) string {
	name := t.Title
	if name == "" {
		name = strings.ToUpper(t.Lang)
	}
	if name == "" {
		name = fmt.Sprintf("Track %d", t.ID)
	} else if t.Title != "" && t.Lang != "" {
		name += " (" + t.Lang + ")"
	}
	if t.Codec != "" {
		name += " · " + t.Codec
	}
	return name
}

// cardLayout centres one object at its minimum height and a width of at
// most maxWidth (less in a narrow window), so wrapped text has room.
type cardLayout struct{ maxWidth float32 }

func (l *cardLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 0) }

func (l *cardLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		w := min(l.maxWidth, size.Width-2*theme.Padding())
		o.Resize(fyne.NewSize(w, 1)) // wrapped labels compute their height from the width
		h := min(o.MinSize().Height, size.Height)
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
	}
}

// darkTheme is the app's theme in its dark variant.
type darkTheme struct{ fyne.Theme }

func (t darkTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, theme.VariantDark)
}
