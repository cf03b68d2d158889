package units

import (
	"strconv"
	"strings"
	"testing"
)

var unitSeeds = []string{"100MB", "2GiB", "512KiB", "1234", "16 MiB", "10Mbit", "10Mbit/s", "2MB/s", "1MiB/s",
	"8kbit", "500", "10Mbps", "7bit", "0", "0.5", "", "fast", "10Mbps!", "-5MB", "bit", "MB", "1,000", "99999999EB"}

// FuzzParseSize: a size is within [0, MaxSize], and its byte count
// written out reads back as the same size.
func FuzzParseSize(f *testing.F) {
	for _, s := range unitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 || n > MaxSize {
			t.Fatalf("ParseSize(%q) = %d, outside [0, 2^62]", s, n)
		}
		if n < 1<<53 { // exact in the float64 humanize goes through
			if back, err := ParseSize(strconv.FormatInt(n, 10)); err != nil || back != n {
				t.Fatalf("ParseSize(%q) = %d, but %d reads as %d, %v", s, n, n, back, err)
			}
		}
	})
}

// FuzzParseRate: a rate is 0 only when its number is zero, otherwise at
// least 1 B/s; and a rate written as bytes or as bits reads back.
func FuzzParseRate(f *testing.F) {
	for _, s := range unitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseRate(s)
		if err != nil {
			if strings.Contains(err.Error(), "below 1 B/s") && isZero(strings.TrimSpace(s)) {
				t.Fatalf("ParseRate(%q): %v, but its number is zero", s, err)
			}
			return
		}
		if n < 0 || n > MaxSize {
			t.Fatalf("ParseRate(%q) = %d, outside [0, 2^62]", s, n)
		}
		if n == 0 && !isZero(strings.TrimSpace(s)) {
			t.Fatalf("ParseRate(%q) = 0 (no cap) for a number that is not zero", s)
		}
		if n < 1<<50 {
			for _, again := range []string{strconv.FormatInt(n, 10), strconv.FormatInt(n, 10) + "B/s", strconv.FormatInt(n*8, 10) + "bit"} {
				if back, err := ParseRate(again); err != nil || back != n {
					t.Fatalf("ParseRate(%q) = %d, but %q reads as %d, %v", s, n, again, back, err)
				}
			}
		}
	})
}
