//go:build !race

package playback

const raceEnabled = false
