//go:build race

package playback

const raceEnabled = true
