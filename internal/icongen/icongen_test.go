package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedIconsMatchTheSVG renders assets/icon.svg again and compares
// it with the committed PNGs and .ico pixel by pixel, so an edited SVG
// without `make icons` (or a hand-edited PNG) fails here. One step of
// rounding is allowed per channel: the rasteriser's float maths may differ
// in the last bit between CPUs.
func TestCommittedIconsMatchTheSVG(t *testing.T) {
	svg, err := os.ReadFile("../../assets/icon.svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range pngSizes {
		committed := decodeFile(t, filepath.Join("../../assets/icons", fmt.Sprintf("%d.png", size)))
		want, err := render(svg, size)
		if err != nil {
			t.Fatal(err)
		}
		comparePixels(t, fmt.Sprintf("icons/%d.png", size), committed, want)
	}

	ico, err := os.ReadFile("../../assets/icon.ico")
	if err != nil {
		t.Fatal(err)
	}
	entries := readICO(t, ico)
	if len(entries) != len(icoSizes) {
		t.Fatalf("icon.ico holds %d images, want %d", len(entries), len(icoSizes))
	}
	for i, size := range icoSizes {
		img, err := png.Decode(bytes.NewReader(entries[i].data))
		if err != nil {
			t.Fatalf("icon.ico image %d: %v", i, err)
		}
		if entries[i].dim != size%256 {
			t.Errorf("icon.ico entry %d says %d px, want %d", i, entries[i].dim, size)
		}
		want, _ := render(svg, size)
		comparePixels(t, fmt.Sprintf("icon.ico %d px", size), img, want)
	}
}

func TestRenderRejectsWhatItCannotDraw(t *testing.T) {
	// A filter would be dropped silently by a lenient renderer.
	bad := []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><filter id="f"/></svg>`)
	if _, err := render(bad, 16); err == nil {
		t.Error("an SVG with an element the rasteriser skips rendered without error")
	}
	if _, err := render([]byte("not svg"), 16); err == nil {
		t.Error("garbage rendered without error")
	}
}

func TestRunOneSize(t *testing.T) {
	out := filepath.Join(t.TempDir(), "1024.png")
	if err := run("../../assets/icon.svg", "", 1024, out); err != nil {
		t.Fatal(err)
	}
	if b := decodeFile(t, out).Bounds(); b.Dx() != 1024 || b.Dy() != 1024 {
		t.Fatalf("bounds %v", b)
	}
	if err := run("../../assets/icon.svg", "", 0, out); err == nil {
		t.Error("-o without -size did not fail")
	}
	if err := run("../../assets/missing.svg", t.TempDir(), 0, ""); err == nil {
		t.Error("a missing SVG did not fail")
	}
}

func decodeFile(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func comparePixels(t *testing.T, name string, got image.Image, want *image.NRGBA) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Errorf("%s: bounds %v, want %v", name, got.Bounds(), want.Bounds())
		return
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := [4]uint32{}
			g[0], g[1], g[2], g[3] = got.At(x, y).RGBA()
			w := [4]uint32{}
			w[0], w[1], w[2], w[3] = want.At(x, y).RGBA()
			for i := range g {
				if d := int(g[i]>>8) - int(w[i]>>8); d > 1 || d < -1 {
					t.Errorf("%s: pixel (%d,%d) is %v, the SVG renders %v; run `make icons`", name, x, y, got.At(x, y), want.At(x, y))
					return
				}
			}
		}
	}
}

type icoEntry struct {
	dim  int
	data []byte
}

func readICO(t *testing.T, ico []byte) []icoEntry {
	t.Helper()
	le := binary.LittleEndian
	if len(ico) < 6 || le.Uint16(ico[2:]) != 1 {
		t.Fatal("icon.ico: not an icon file")
	}
	n := int(le.Uint16(ico[4:]))
	var entries []icoEntry
	for i := 0; i < n; i++ {
		e := ico[6+16*i:]
		size, offset := le.Uint32(e[8:]), le.Uint32(e[12:])
		if int(offset+size) > len(ico) {
			t.Fatalf("icon.ico entry %d runs past the file", i)
		}
		entries = append(entries, icoEntry{dim: int(e[0]), data: ico[offset : offset+size]})
	}
	return entries
}
