package main

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/ipfs-tube/ipfs-tube/assets"
)

// Icon sizes taken from assets: the window and taskbar icon (window
// managers scale it down; 256 covers HiDPI docks), and the small ones for
// the tray and the header logo, which show at 16–32 logical pixels.
const (
	windowIconSize = 256
	smallIconSize  = 64
)

// newFyneApp is the Fyne app of the window and of `play`: our ID, so
// preferences land in one place, and our icon on every window.
func newFyneApp() fyne.App {
	a := app.NewWithID(appID)
	a.SetIcon(iconResource(windowIconSize))
	return a
}

// iconResource is the bundled app icon at one of assets.Sizes. The sizes
// used are constants that TestIconResources checks, so a failure here is a
// build mistake, not something a user can cause.
func iconResource(size int) fyne.Resource {
	data, err := assets.Icon(size)
	if err != nil {
		panic(err)
	}
	return fyne.NewStaticResource(fmt.Sprintf("ipfs-tube-%d.png", size), data)
}
