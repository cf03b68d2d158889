// Command icongen renders the app icon, assets/icon.svg, into the PNG sizes
// the window, the tray and the Linux packages use, and into the Windows
// icon (assets/icon.ico). It is how `make icons` regenerates them after the
// SVG changes; the results are committed, so a build needs no renderer, and
// a test checks that they still match the SVG.
//
// It draws with the same SVG rasteriser Fyne uses (fyne-io/oksvg over
// srwiley/rasterx), in pure Go, so the output does not depend on which
// image tools a machine has.
//
// # Usage
//
//	go run ./internal/icongen                      # assets/icons/NN.png and assets/icon.ico
//	go run ./internal/icongen -size 1024 -o x.png  # one PNG of any size (macOS wants 1024)
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"

	"github.com/ipfs-tube/ipfs-tube/assets"
)

// pngSizes are the square sizes rendered into assets/icons: the freedesktop
// hicolor sizes (22 and 24 are what panels and trays ask for) plus 512.
var pngSizes = assets.Sizes

// icoSizes go into the Windows .ico: the shell picks 16 (lists, title
// bar), 24, 32 (taskbar), 48 (Explorer), 64, 128 and 256 (large icons).
var icoSizes = []int{16, 24, 32, 48, 64, 128, 256}

func main() {
	svgPath := flag.String("svg", "assets/icon.svg", "the icon's SVG source")
	outDir := flag.String("out", "assets", "where icons/NN.png and icon.ico go")
	size := flag.Int("size", 0, "render one PNG of this size to -o instead")
	out := flag.String("o", "", "output file for -size")
	flag.Parse()
	if err := run(*svgPath, *outDir, *size, *out); err != nil {
		fmt.Fprintln(os.Stderr, "icongen:", err)
		os.Exit(1)
	}
}

func run(svgPath, outDir string, size int, out string) error {
	src, err := os.ReadFile(svgPath)
	if err != nil {
		return err
	}
	if size != 0 || out != "" {
		if size <= 0 || out == "" {
			return errors.New("-size needs a positive size and -o a file")
		}
		data, err := renderPNG(src, size)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	}
	if err := os.MkdirAll(filepath.Join(outDir, "icons"), 0o755); err != nil {
		return err
	}
	for _, s := range pngSizes {
		data, err := renderPNG(src, s)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(outDir, "icons", fmt.Sprintf("%d.png", s)), data, 0o644); err != nil {
			return err
		}
	}
	var ico bytes.Buffer
	if err := writeICO(&ico, src, icoSizes); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(outDir, "icon.ico"), ico.Bytes(), 0o644)
}

// render draws the SVG into a size×size image. Every element must be one
// the rasteriser understands: a silently dropped gradient or shape would
// ship a wrong icon.
func render(svg []byte, size int) (*image.NRGBA, error) {
	icon, err := oksvg.ReadIconStream(bytes.NewReader(svg), oksvg.StrictErrorMode)
	if err != nil {
		return nil, fmt.Errorf("icongen.render: %w", err)
	}
	if icon.ViewBox.W <= 0 || icon.ViewBox.H <= 0 || len(icon.SVGPaths) == 0 {
		return nil, errors.New("icongen.render: no <svg> with a viewBox and shapes in it")
	}
	icon.SetTarget(0, 0, float64(size), float64(size))
	// rasterx blends in premultiplied RGBA; PNG wants straight alpha, so
	// convert once at the end.
	rgba := image.NewRGBA(image.Rect(0, 0, size, size))
	scanner := rasterx.NewScannerGV(size, size, rgba, rgba.Bounds())
	icon.Draw(rasterx.NewDasher(size, size, scanner), 1)
	out := image.NewNRGBA(rgba.Bounds())
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			out.Set(x, y, rgba.At(x, y))
		}
	}
	return out, nil
}

func renderPNG(svg []byte, size int) ([]byte, error) {
	img, err := render(svg, size)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("icongen.renderPNG: %w", err)
	}
	return b.Bytes(), nil
}

// writeICO writes an .ico whose images are PNGs, which Windows reads since
// Vista and windres embeds as they are. The format: a 6-byte header, one
// 16-byte entry per image (its size, 0 meaning 256, and where its bytes
// start), then the images.
func writeICO(w io.Writer, svg []byte, sizes []int) error {
	images := make([][]byte, len(sizes))
	for i, s := range sizes {
		if s > 256 {
			return fmt.Errorf("icongen.writeICO: %d px is larger than an .ico holds", s)
		}
		data, err := renderPNG(svg, s)
		if err != nil {
			return err
		}
		images[i] = data
	}
	le := binary.LittleEndian
	var b bytes.Buffer
	b.Write(le.AppendUint16(nil, 0))                  // reserved
	b.Write(le.AppendUint16(nil, 1))                  // type: icon
	b.Write(le.AppendUint16(nil, uint16(len(sizes)))) // count
	offset := 6 + 16*len(sizes)
	for i, s := range sizes {
		dim := byte(s % 256)              // 256 is written as 0
		b.Write([]byte{dim, dim, 0, 0})   // width, height, palette, reserved
		b.Write(le.AppendUint16(nil, 1))  // colour planes
		b.Write(le.AppendUint16(nil, 32)) // bits per pixel
		b.Write(le.AppendUint32(nil, uint32(len(images[i]))))
		b.Write(le.AppendUint32(nil, uint32(offset)))
		offset += len(images[i])
	}
	for _, img := range images {
		b.Write(img)
	}
	_, err := w.Write(b.Bytes())
	return err
}
