package playerview

import "fyne.io/fyne/v2"

// PictureArea is where the video is drawn, in the window's coordinates:
// the surface the player renders into (the picture is letterboxed inside
// it). Zero before the view is shown. Call it on the UI thread.
func (v *View) PictureArea() (fyne.Position, fyne.Size) {
	d := fyne.CurrentApp().Driver()
	if d == nil || v.surface == nil || !v.surface.Visible() {
		return fyne.Position{}, fyne.Size{}
	}
	return d.AbsolutePositionForObject(v.surface), v.surface.Size()
}
