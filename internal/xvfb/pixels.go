package xvfb

import (
	"image"
	"math"
)

// Variance is the mean per-channel variance of the pixels in r: near 0
// for a flat area (blank, a solid background), large for a picture.
func Variance(img image.Image, r image.Rectangle) float64 {
	r = r.Intersect(img.Bounds())
	if r.Empty() {
		return 0
	}
	var sum, sq [3]float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			c := rgb(img, x, y)
			for i := range c {
				sum[i] += c[i]
				sq[i] += c[i] * c[i]
			}
			n++
		}
	}
	var v float64
	for i := range sum {
		m := sum[i] / float64(n)
		v += sq[i]/float64(n) - m*m
	}
	return v / 3
}

// MeanAbsDiff is the mean absolute per-channel difference of a and b over
// r, on a 0–255 scale: 0 for identical areas.
func MeanAbsDiff(a, b image.Image, r image.Rectangle) float64 {
	r = r.Intersect(a.Bounds()).Intersect(b.Bounds())
	if r.Empty() {
		return 0
	}
	var d float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			ca, cb := rgb(a, x, y), rgb(b, x, y)
			for i := range ca {
				d += math.Abs(ca[i] - cb[i])
			}
			n += 3
		}
	}
	return d / float64(n)
}

func rgb(img image.Image, x, y int) [3]float64 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]float64{float64(r >> 8), float64(g >> 8), float64(b >> 8)}
}
