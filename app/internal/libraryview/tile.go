package libraryview

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/library"
)

// Tile geometry, in points: a 16:9 poster over three short rows.
const (
	tileWidth    = 256
	posterHeight = tileWidth * 9 / 16
	posterRadius = 8
	watchBarH    = 3
	// tileMargin surrounds a tile's content inside its grid cell, so the
	// grid's hover and focus highlight frames the tile instead of touching
	// it, and tiles get room to breathe.
	tileMargin = 6
	cellWidth  = tileWidth + 2*tileMargin
)

// tile is one grid cell. The grid creates a screenful and rebinds them as
// it scrolls, so a tile keeps no state beyond the video it shows.
type tile struct {
	widget.BaseWidget
	v *View

	video  library.Video
	bound  bool
	poster posterState

	placeholder *canvas.Rectangle
	filmIcon    *canvas.Image
	image       *canvas.Image
	durationBg  *canvas.Rectangle
	duration    *canvas.Text
	watchTrack  *canvas.Rectangle
	watchBar    *canvas.Rectangle
	watched     float32 // fraction of the video watched, for the bar

	title       *widget.Label
	more        *widget.Button
	meta        *canvas.Text
	chips       []*chip
	shownBadges []badge
	row         *fyne.Container
}

func (v *View) newTile() *tile {
	t := &tile{v: v}
	t.placeholder = canvas.NewRectangle(color.Transparent)
	t.placeholder.CornerRadius = posterRadius
	t.filmIcon = canvas.NewImageFromResource(theme.NewDisabledResource(theme.MediaVideoIcon()))
	t.filmIcon.FillMode = canvas.ImageFillContain
	t.image = canvas.NewImageFromImage(nil)
	t.image.FillMode = canvas.ImageFillCover
	t.image.ScaleMode = canvas.ImageScaleSmooth
	t.image.CornerRadius = posterRadius
	t.image.Hide()
	t.durationBg = canvas.NewRectangle(color.NRGBA{A: 0xc0})
	t.durationBg.CornerRadius = 4
	t.duration = canvas.NewText("", color.White)
	t.duration.TextSize = theme.CaptionTextSize()
	t.duration.TextStyle.Bold = true
	t.watchTrack = canvas.NewRectangle(color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0x50})
	t.watchBar = canvas.NewRectangle(color.Transparent)

	t.title = widget.NewLabel("")
	t.title.TextStyle.Bold = true
	t.title.Truncation = fyne.TextTruncateEllipsis
	t.more = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), func() {
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(t.more)
		t.v.showMenu(t.video, pos.AddXY(0, t.more.Size().Height))
	})
	t.more.Importance = widget.LowImportance
	t.meta = canvas.NewText("", color.Black)
	t.meta.TextSize = theme.CaptionTextSize()
	for range 3 {
		t.chips = append(t.chips, newChip())
	}
	objs := make([]fyne.CanvasObject, len(t.chips))
	for i, c := range t.chips {
		objs[i] = c.box
	}
	t.row = container.New(layout.NewCustomPaddedHBoxLayout(4), objs...)
	t.ExtendBaseWidget(t)
	return t
}

// bind shows video on the tile (UI thread).
func (t *tile) bind(video library.Video) {
	t.video, t.bound = video, true
	t.title.SetText(displayTitle(video))

	if video.Duration > 0 {
		t.duration.Text = ui.Clock(video.Duration)
	} else {
		t.duration.Text = ""
	}
	t.watched = 0
	if video.WatchCount > 0 && video.Duration > 0 && !video.Finished() {
		t.watched = float32(min(1, float64(video.LastPosition)/float64(video.Duration)))
	}
	t.meta.Text = metaLine(video)

	t.shownBadges = t.badges(video)

	img, state := t.v.posters.show(video.Poster)
	t.poster = state
	t.image.Image = img
	t.image.Hidden = state != posterReady
	t.Refresh()
}

// metaLine is the dim line under the title: size and resolution.
func metaLine(video library.Video) string {
	s := "Size unknown"
	if video.Size > 0 {
		s = ui.Bytes(video.Size)
	}
	if video.Height > 0 {
		s += fmt.Sprintf(" · %dp", video.Height)
	}
	if video.WatchCount > 0 {
		s += fmt.Sprintf(" · watched %d×", video.WatchCount)
	}
	return s
}

// badge is one chip's text and colour.
type badge struct {
	text  string
	color fyne.ThemeColorName // "" for neutral
}

// badges says why the video is kept and how much of it is here (see the
// package doc for the rules).
func (t *tile) badges(video library.Video) []badge {
	var out []badge
	copies, counted := t.v.providerBadge(video)
	if video.Kept.Has(library.OwnUpload) {
		out = append(out, badge{"Your upload", theme.ColorNameWarning})
	}
	// Three chips fill a tile; an own upload stays here pinned or not, so
	// its copies say more than "Pinned" (the menu still offers Unpin).
	if video.Kept.Has(library.Pinned) && !counted {
		out = append(out, badge{"Pinned", theme.ColorNamePrimary})
	}
	if busy, ok := t.v.busy[video.Cid.KeyString()]; ok {
		out = append(out, badge{busy, theme.ColorNamePrimary})
	} else {
		out = append(out, localBadge(video))
	}
	if counted {
		out = append(out, copies)
	}
	return out
}

// LocalBadge is the text of a tile's local-state badge for video:
// "Seeding", "Cached 42%", "Cached 12 MiB" or "Not cached" (see the
// package doc), so the app can check the Library against the Seeding page.
func LocalBadge(video library.Video) string { return localBadge(video).text }

func localBadge(video library.Video) badge {
	complete := video.Size > 0 && video.BytesLocal >= video.Size
	switch {
	case complete && video.Reason().Seeded():
		return badge{"Seeding", theme.ColorNameSuccess}
	case video.BytesLocal <= 0:
		return badge{"Not cached", ""}
	case video.Size <= 0:
		return badge{"Cached " + ui.Bytes(video.BytesLocal), ""}
	default:
		pct := min(100, video.BytesLocal*100/video.Size)
		return badge{fmt.Sprintf("Cached %d%%", pct), ""}
	}
}

// Tapped plays the video: the whole tile is the play button.
func (t *tile) Tapped(*fyne.PointEvent) {
	if t.bound {
		t.v.play(t.video)
	}
}

// TappedSecondary opens the tile's menu where the pointer is.
func (t *tile) TappedSecondary(ev *fyne.PointEvent) {
	if t.bound {
		t.v.showMenu(t.video, ev.AbsolutePosition)
	}
}

func (t *tile) CreateRenderer() fyne.WidgetRenderer {
	return &tileRenderer{t: t, objects: []fyne.CanvasObject{
		t.placeholder, t.filmIcon, t.image, t.watchTrack, t.watchBar, t.durationBg, t.duration,
		t.title, t.more, t.meta, t.row,
	}}
}

type tileRenderer struct {
	t       *tile
	objects []fyne.CanvasObject
}

func (r *tileRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *tileRenderer) Destroy()                     {}

func (r *tileRenderer) MinSize() fyne.Size {
	t := r.t
	pad := theme.Padding()
	h := float32(posterHeight) + pad + t.title.MinSize().Height - 2*theme.InnerPadding() + pad +
		t.meta.MinSize().Height + pad + t.row.MinSize().Height + pad
	return fyne.NewSize(cellWidth, h+2*tileMargin)
}

func (r *tileRenderer) Layout(cell fyne.Size) {
	t := r.t
	size := cell.SubtractWidthHeight(2*tileMargin, 2*tileMargin)
	pad, inner := theme.Padding(), theme.InnerPadding()
	ph := float32(posterHeight)

	for _, o := range []fyne.CanvasObject{t.placeholder, t.image} {
		o.Move(at(0, 0))
		o.Resize(fyne.NewSize(size.Width, ph))
	}
	icon := fyne.NewSquareSize(48)
	t.filmIcon.Resize(icon)
	t.filmIcon.Move(at((size.Width-icon.Width)/2, (ph-icon.Height)/2))

	ds := t.duration.MinSize()
	bg := fyne.NewSize(ds.Width+10, ds.Height+2)
	t.durationBg.Resize(bg)
	t.durationBg.Move(at(size.Width-bg.Width-6, ph-bg.Height-6-watchBarH))
	t.duration.Move(t.durationBg.Position().AddXY(5, 1))
	t.duration.Resize(ds)

	// The bar sits inside the poster's rounded corners.
	barW := size.Width - 2*posterRadius
	t.watchTrack.Move(at(posterRadius, ph-watchBarH-1))
	t.watchTrack.Resize(fyne.NewSize(barW, watchBarH))
	t.watchBar.Move(t.watchTrack.Position())
	t.watchBar.Resize(fyne.NewSize(barW*t.watched, watchBarH))

	// The label's text is inset by the inner padding; shifting the label
	// left by it lines the title up with the poster's edge.
	y := ph + pad
	more := t.more.MinSize()
	ts := t.title.MinSize()
	t.title.Move(at(-inner, y-inner))
	t.title.Resize(fyne.NewSize(size.Width-more.Width+inner, ts.Height))
	t.more.Resize(more)
	t.more.Move(at(size.Width-more.Width+pad, y+(ts.Height-2*inner-more.Height)/2))
	y += ts.Height - 2*inner + pad

	t.meta.Move(at(0, y))
	t.meta.Resize(fyne.NewSize(size.Width-more.Width, t.meta.MinSize().Height))
	y += t.meta.MinSize().Height + pad

	t.row.Move(at(0, y))
	t.row.Resize(fyne.NewSize(size.Width, t.row.MinSize().Height))
}

// at is a position inside the tile's margin.
func at(x, y float32) fyne.Position { return fyne.NewPos(tileMargin+x, tileMargin+y) }

func (r *tileRenderer) Refresh() {
	t := r.t
	t.placeholder.FillColor = theme.Color(theme.ColorNameInputBackground)
	// The film icon marks a missing poster; while one loads the plain
	// placeholder is calmer than icons flashing on every scroll.
	t.filmIcon.Hidden = t.poster != posterFailed
	t.watchTrack.Hidden = t.watched <= 0
	t.watchBar.Hidden = t.watched <= 0
	t.watchBar.FillColor = theme.Color(theme.ColorNameError)
	t.durationBg.Hidden = t.duration.Text == ""
	t.duration.Hidden = t.duration.Text == ""
	t.meta.Color = theme.Color(theme.ColorNamePlaceHolder)
	// Colours are looked up here, not kept from bind, so a theme change
	// (which refreshes every widget) recolours the badges too.
	for i, c := range t.chips {
		if i < len(t.shownBadges) {
			c.set(t.shownBadges[i])
		} else {
			c.box.Hide()
		}
	}
	r.Layout(t.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

// chip is a small rounded badge.
type chip struct {
	bg   *canvas.Rectangle
	text *canvas.Text
	box  *fyne.Container
}

func newChip() *chip {
	c := &chip{bg: canvas.NewRectangle(color.Transparent), text: canvas.NewText("", color.Black)}
	c.bg.CornerRadius = 4
	c.text.TextSize = theme.CaptionTextSize()
	c.text.TextStyle.Bold = true
	c.box = container.NewStack(c.bg, container.New(layout.NewCustomPaddedLayout(2, 2, 6, 6), c.text))
	return c
}

func (c *chip) set(b badge) {
	fg := theme.Color(theme.ColorNameForeground)
	if b.color != "" {
		fg = theme.Color(b.color)
	}
	r, g, bl, _ := fg.RGBA()
	// A tint of the text colour: readable on light and dark themes alike.
	c.bg.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(bl >> 8), A: 0x30}
	c.text.Text = b.text
	c.text.Color = fg
	c.box.Show()
	c.bg.Refresh()
	c.text.Refresh()
}
