package main

import "testing"

func TestParseSizeAndRate(t *testing.T) {
	sizes := map[string]int64{"100MB": 100e6, "2GiB": 2 << 30, "512KiB": 512 << 10, "1234": 1234, "16 MiB": 16 << 20}
	for in, want := range sizes {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	rates := map[string]int64{"10Mbit": 1.25e6, "10Mbit/s": 1.25e6, "2MB/s": 2e6, "1MiB/s": 1 << 20, "8kbit": 1000, "500": 500}
	for in, want := range rates {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "10Mbps!", "-5MB", "bit", "MB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
		if _, err := parseRate(bad); err == nil {
			t.Errorf("parseRate(%q) accepted", bad)
		}
	}
}
