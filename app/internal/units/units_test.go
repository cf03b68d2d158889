package units

import (
	"strings"
	"testing"
)

func TestParseSizeAndRate(t *testing.T) {
	sizes := map[string]int64{"100MB": 100e6, "2GiB": 2 << 30, "512KiB": 512 << 10, "1234": 1234, "16 MiB": 16 << 20, "0": 0}
	for in, want := range sizes {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	rates := map[string]int64{"10Mbit": 1.25e6, "10Mbit/s": 1.25e6, "2MB/s": 2e6, "1MiB/s": 1 << 20, "8kbit": 1000, "500": 500,
		"10Mbps": 1.25e6, "10Mb/s": 1.25e6, "10MBps": 10e6, "8bit": 1, "12bit": 1, "0": 0, "0bit": 0, "0.0 MB/s": 0, "1": 1}
	for in, want := range rates {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "10Mbps!", "-5MB", "bit", "MB", "b"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

// TestRateBelowOneByte: a rate above 0 that rounds to 0 B/s used to mean
// "no cap"; now it is refused, saying why.
func TestRateBelowOneByte(t *testing.T) {
	for _, in := range []string{"7bit", "0.5", "0.9B/s", "1b", "0.001kbit/s"} {
		got, err := ParseRate(in)
		if err == nil || !strings.Contains(err.Error(), "below 1 B/s") {
			t.Errorf("ParseRate(%q) = %d, %v; want an error saying it is below 1 B/s", in, got, err)
		}
	}
	if _, err := ParseRate("7bit"); err == nil || err.Error() != "rate 7bit is below 1 B/s; use 0 for no cap" {
		t.Errorf("ParseRate(7bit): %v", err)
	}
}
