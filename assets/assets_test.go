package assets

import (
	"bytes"
	"image/color"
	"image/png"
	"testing"
)

// TestIconsAreTheDesign checks every bundled size: square at its size, a
// transparent corner (the block is a hexagon, not a tile), a white play sign
// in the middle and the teal block around it, so the design survives even
// at 16 px.
func TestIconsAreTheDesign(t *testing.T) {
	for _, size := range Sizes {
		data, err := Icon(size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%d px: %v", size, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Fatalf("%d px icon is %v", size, b)
		}
		at := func(fx, fy float64) color.NRGBA {
			return color.NRGBAModel.Convert(img.At(int(fx*float64(size)), int(fy*float64(size)))).(color.NRGBA)
		}
		if c := at(0, 0); c.A != 0 {
			t.Errorf("%d px: corner %v, want transparent", size, c)
		}
		if c := at(0.47, 0.5); c.A != 255 || c.R < 240 || c.G < 240 || c.B < 240 {
			t.Errorf("%d px: centre %v, want the white play sign", size, c)
		}
		// Left of the play sign, inside the block: opaque teal (green
		// and blue well above red).
		if c := at(0.2, 0.5); c.A != 255 || int(c.G) < int(c.R)+80 || int(c.B) < int(c.R)+80 {
			t.Errorf("%d px: block %v, want opaque teal", size, c)
		}
	}
	if _, err := Icon(17); err == nil {
		t.Error("Icon(17) did not fail")
	}
}
