package main

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"
	"time"
)

// playStats is the one JSON line `play --stats` prints at the end. Times
// are milliseconds; -1 means the moment never came (no frame, no seek).
type playStats struct {
	TTFFms        float64   `json:"ttff_ms"`
	SeekMs        float64   `json:"seek_ms"`
	SeeksMs       []float64 `json:"seeks_ms,omitempty"`
	SeekErrorS    []float64 `json:"seek_error_s,omitempty"`
	Frames        int64     `json:"frames"`
	MaxFrameGapMs float64   `json:"max_frame_gap_ms"`
	DurationS     float64   `json:"duration_s"`
	PositionS     float64   `json:"position_s"`
	State         string    `json:"state"`
	Error         string    `json:"error,omitempty"`

	BytesFetched      int64            `json:"bytes_fetched"`
	BlocksFetched     int64            `json:"blocks_fetched"`
	MaxInflightBlocks int              `json:"max_inflight_blocks"`
	CancelledBlocks   int64            `json:"cancelled_blocks"`
	Source            map[string]int64 `json:"source"`
	// Gateways is the verified block bytes each HTTP gateway delivered to
	// this node (all reads, not only this video's).
	Gateways     map[string]int64 `json:"gateways,omitempty"`
	PeakRSSBytes int64            `json:"peak_rss_bytes"`
	URL          string           `json:"url"`
}

func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// peakRSS is the most memory this process ever had resident, as the OS
// counts it (VmHWM on Linux); 0 where it cannot be read.
func peakRSS() int64 {
	n, _ := procStatusBytes("VmHWM")
	return n
}

// procStatusBytes reads one "kB" field of /proc/self/status, in bytes.
func procStatusBytes(field string) (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte(field+":")); ok {
			f := strings.Fields(string(v))
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s in /proc/self/status: %w", field, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}

// hasPicture tells a real frame from the black (or flat) frames players
// show before the first picture: some sampled pixels must differ clearly
// from black and from each other.
func hasPicture(img *image.RGBA) bool {
	b := img.Bounds()
	if b.Empty() {
		return false
	}
	const grid = 16
	var bright, minL, maxL int
	minL = 1 << 30
	for gy := 0; gy < grid; gy++ {
		for gx := 0; gx < grid; gx++ {
			x := b.Min.X + (2*gx+1)*b.Dx()/(2*grid)
			y := b.Min.Y + (2*gy+1)*b.Dy()/(2*grid)
			i := img.PixOffset(x, y)
			l := int(img.Pix[i]) + int(img.Pix[i+1]) + int(img.Pix[i+2])
			if l > 3*24 {
				bright++
			}
			minL = min(minL, l)
			maxL = max(maxL, l)
		}
	}
	return bright >= grid*grid/20 && maxL-minL > 3*16
}

// parseFractions reads --seek: one fraction or a comma-separated list, each
// in [0, 1).
func parseFractions(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []float64
	for _, part := range strings.Split(s, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || f < 0 || f >= 1 {
			return nil, usagef("--seek %q: want fractions of the duration in [0, 1), e.g. 0.8 or 0.1,0.5", part)
		}
		out = append(out, f)
	}
	return out, nil
}

// frameClock measures frame timing: the first frame with a picture and
// the gaps between frames.
type frameClock struct {
	start  time.Time
	first  time.Time
	last   time.Time // zero after resetGaps: the next frame starts afresh
	frames int64
	maxGap time.Duration
}

func (fc *frameClock) frame(now time.Time, picture bool) {
	fc.frames++
	if fc.first.IsZero() {
		if picture {
			fc.first, fc.last = now, now
		}
		return
	}
	if !fc.last.IsZero() {
		fc.maxGap = max(fc.maxGap, now.Sub(fc.last))
	}
	fc.last = now
}

// resetGaps stops the gap measure across an intended interruption (a seek).
func (fc *frameClock) resetGaps() { fc.last = time.Time{} }
