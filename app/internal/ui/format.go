package ui

import (
	"fmt"
	"math"
	"time"

	"github.com/dustin/go-humanize"
)

// Bytes writes a size with binary units ("1.5 GiB"); sizes in this app are
// disk and block sizes, which people compare with what their OS shows.
func Bytes(n int64) string {
	if n < 0 {
		n = 0
	}
	return humanize.IBytes(uint64(n))
}

// Rate writes bytes per second ("11.9 MiB/s"); "0 B/s" for idle or unknown.
func Rate(bytesPerSecond float64) string {
	if math.IsNaN(bytesPerSecond) || bytesPerSecond < 1 {
		return "0 B/s"
	}
	return humanize.IBytes(uint64(bytesPerSecond)) + "/s"
}

// Clock writes a playback position or length the way players do: "m:ss"
// below an hour, "h:mm:ss" from an hour on. Negative durations read as 0.
func Clock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	h, m, sec := s/3600, s/60%60, s%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// ETA writes the time left for work of total units done at rate units per
// second: "about 3 s", "about 2 min", or "" while the rate is unknown.
func ETA(done, total int64, rate float64) string {
	if rate <= 0 || total <= 0 || done >= total {
		return ""
	}
	left := time.Duration(float64(total-done) / rate * float64(time.Second))
	switch {
	case left < time.Minute:
		return fmt.Sprintf("about %d s", int(left.Seconds())+1)
	case left < time.Hour:
		return fmt.Sprintf("about %d min", int(left.Minutes()+0.5))
	default:
		return fmt.Sprintf("about %.1f h", left.Hours())
	}
}
