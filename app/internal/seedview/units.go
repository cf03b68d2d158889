package seedview

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
)

// ParseQuota reads a size as people type it: "50 GB", "50GiB", "2 TiB",
// "1.5 tb". A bare number means GiB, the unit the quota slider shows.
// Units follow go-humanize: GB is 10^9 bytes, GiB is 2^30.
func ParseQuota(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("quota: empty; type a size like 50 GiB")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return floatBytes(f * (1 << 30))
	}
	n, err := humanize.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("quota: %q is not a size like 50 GiB or 2 TB", s)
	}
	if n > math.MaxInt64 {
		return 0, fmt.Errorf("quota: %q is too large", s)
	}
	return int64(n), nil
}

// ParseUploadCap reads an upload limit: "unlimited" (or "", "0", "none")
// is no limit; "5 MiB/s" or "5 MB/s" are bytes per second; "40 Mbit/s",
// "40 Mbps" or "40 mbit" are bits per second (k, M, G are powers of 1000
// there, as networks count). A bare number means MiB/s.
func ParseUploadCap(s string) (int64, error) { return parseRate("upload cap", s) }

// ParseDownloadCap reads the download limit for seeding fetches, written
// as ParseUploadCap reads.
func ParseDownloadCap(s string) (int64, error) { return parseRate("download cap", s) }

// parseRate reads a rate for ParseUploadCap and ParseDownloadCap; what
// names the limit in errors. A rate above 0 that rounds to 0 B/s is
// refused rather than read as "unlimited".
func parseRate(what, s string) (int64, error) {
	n, zero, err := parseRateValue(what, s)
	if err == nil && n == 0 && !zero {
		return 0, fmt.Errorf("%s: %q is below 1 B/s; type 0 or unlimited for no limit", what, strings.TrimSpace(s))
	}
	return n, err
}

// parseRateValue is parseRate's reading; zero says the number typed was 0.
func parseRateValue(what, s string) (n int64, zero bool, err error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "", "0", "unlimited", "none", "no limit", "∞":
		return 0, true, nil
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		n, err := floatBytes(f * (1 << 20))
		return n, f == 0, err
	}
	bad := fmt.Errorf("%s: %q is not a rate like 5 MiB/s or 40 Mbit/s", what, s)
	// "MBps" and "MB/s" are bytes; "Mbps", "Mbit/s" and "Mbit" are bits.
	if strings.HasSuffix(t, "Bps") {
		t = strings.TrimSuffix(t, "ps")
	}
	t = strings.TrimSuffix(strings.TrimSuffix(t, "/s"), "/S")
	lower := strings.ToLower(t)
	for _, suffix := range []string{"bits", "bit", "bps", "b"} {
		if !strings.HasSuffix(lower, suffix) || (suffix == "b" && !strings.HasSuffix(t, "b")) {
			continue
		}
		num := strings.TrimSpace(lower[:len(lower)-len(suffix)])
		mult := 1.0
		for _, p := range []struct {
			prefix string
			mult   float64
		}{{"ki", 1 << 10}, {"mi", 1 << 20}, {"gi", 1 << 30}, {"k", 1e3}, {"m", 1e6}, {"g", 1e9}} {
			if strings.HasSuffix(num, p.prefix) {
				num, mult = strings.TrimSpace(strings.TrimSuffix(num, p.prefix)), p.mult
				break
			}
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, false, bad
		}
		n, err := floatBytes(f * mult / 8)
		return n, f == 0, err
	}
	b, err := humanize.ParseBytes(t)
	if err != nil || b > math.MaxInt64 {
		return 0, false, bad
	}
	// humanize drops fractions of a byte: say 0 only for a typed 0.
	digits := strings.TrimLeft(t, "0.,")
	return int64(b), digits == "" || !strings.ContainsAny(digits[:1], "0123456789"), nil
}

func floatBytes(f float64) (int64, error) {
	if math.IsNaN(f) || f < 0 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("%v bytes is out of range", f)
	}
	return int64(math.Round(f)), nil
}

// FormatUploadCap is a cap (upload or download) as the entry shows it:
// "unlimited" or "5.0 MiB/s".
func FormatUploadCap(c int64) string {
	if c <= 0 {
		return "unlimited"
	}
	return ui.Rate(float64(c))
}

// mbit writes a rate in megabits per second, the unit internet plans use.
func mbit(bytesPerSecond float64) string {
	m := bytesPerSecond * 8 / 1e6
	if m < 10 {
		return fmt.Sprintf("%.1f Mbit/s", m)
	}
	return fmt.Sprintf("%.0f Mbit/s", m)
}

// quotaSteps are the sizes the quota slider stops at: fine steps for small
// quotas, coarser ones for large, so both ends are easy to hit.
var quotaSteps = func() []int64 {
	gib := []int64{1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80,
		100, 120, 150, 200, 250, 300, 400, 500, 600, 800, 1024, 1536, 2048}
	out := make([]int64, len(gib))
	for i, g := range gib {
		out[i] = g << 30
	}
	return out
}()

// stepIndex is the slider position for quota q: the largest step not above
// it (the first step for anything smaller).
func stepIndex(q int64) int {
	i := 0
	for j, s := range quotaSteps {
		if s <= q {
			i = j
		}
	}
	return i
}
