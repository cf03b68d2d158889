// Package assets holds the resources bundled into the ipfs-tube binary: the
// app icon, rendered at the sizes the window, the tray and the packages use.
//
// The icon's source is icon.svg, drawn by hand; icons/NN.png (16 to 512 px)
// and icon.ico (Windows) are rendered from it by internal/icongen (`make
// icons`) and committed, so building needs no image tools. The packaging
// under packaging/ installs the same files as the desktop's icons.
//
// # Usage
//
//	png, err := assets.Icon(256) // the window icon
package assets

import (
	"embed"
	"fmt"
)

//go:embed icons/*.png
var icons embed.FS

// Sizes are the icon sizes bundled, in pixels, smallest first.
var Sizes = []int{16, 22, 24, 32, 48, 64, 128, 256, 512}

// Icon returns the app icon as a size×size PNG; size must be one of Sizes.
func Icon(size int) ([]byte, error) {
	data, err := icons.ReadFile(fmt.Sprintf("icons/%d.png", size))
	if err != nil {
		return nil, fmt.Errorf("assets.Icon: no %d px icon (have %v)", size, Sizes)
	}
	return data, nil
}
