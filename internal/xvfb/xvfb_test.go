package xvfb

import (
	"image"
	"image/color"
	"path/filepath"
	"testing"
)

func TestScreenshotOfEmptyDisplayIsFlat(t *testing.T) {
	d := Start(t, 320, 240)
	img := d.Screenshot(t, filepath.Join(t.TempDir(), "empty.png"))
	if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
		t.Fatalf("screenshot is %v, want 320x240", b)
	}
	if v := Variance(img, img.Bounds()); v > 1 {
		t.Errorf("empty display variance %.1f, want ~0", v)
	}
	if d.WindowMapped("no such window") {
		t.Error("a window that does not exist reads as mapped")
	}
}

func TestPixelMeasures(t *testing.T) {
	r := image.Rect(0, 0, 64, 64)
	flat := image.NewRGBA(r)
	striped := image.NewRGBA(r)
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			flat.Set(x, y, color.RGBA{50, 50, 50, 255})
			if (x/4)%2 == 0 {
				striped.Set(x, y, color.RGBA{255, 255, 255, 255})
			} else {
				striped.Set(x, y, color.RGBA{0, 0, 0, 255})
			}
		}
	}
	if v := Variance(flat, r); v != 0 {
		t.Errorf("flat variance %.1f, want 0", v)
	}
	if v := Variance(striped, r); v < 10000 {
		t.Errorf("striped variance %.1f, want large", v)
	}
	if d := MeanAbsDiff(flat, flat, r); d != 0 {
		t.Errorf("self diff %.1f, want 0", d)
	}
	if d := MeanAbsDiff(flat, striped, r); d < 100 {
		t.Errorf("flat vs striped diff %.1f, want large", d)
	}
}
