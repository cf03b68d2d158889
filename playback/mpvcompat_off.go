//go:build !(mpvcompat && cgo && !nocgo)

package playback

const compatShim = false
