package main

import (
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
)

// parseSize reads sizes like "100MB", "2GiB", "512k" or a plain byte
// count. Decimal units are powers of 1000, binary ones (KiB, MiB, GiB)
// powers of 1024.
func parseSize(s string) (int64, error) {
	n, err := humanize.ParseBytes(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("size %q: want a number with an optional unit such as 100MB or 2GiB", s)
	}
	if n > 1<<62 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(n), nil
}

// parseRate reads a rate in bytes per second: "10Mbit" or "10Mbit/s"
// (bits), "2MB/s", "2MiB/s" or "500k" (bytes).
func parseRate(s string) (int64, error) {
	in := strings.TrimSpace(s)
	v := strings.TrimSuffix(strings.TrimSuffix(in, "/s"), "ps")
	lower := strings.ToLower(v)
	if strings.HasSuffix(lower, "bit") {
		num := v[:len(v)-3]
		if num == "" {
			return 0, fmt.Errorf("rate %q: no number", s)
		}
		bits, err := humanize.ParseBytes(num)
		if err != nil {
			return 0, fmt.Errorf("rate %q: want e.g. 10Mbit or 2MB/s", s)
		}
		return int64(bits / 8), nil
	}
	n, err := parseSize(v)
	if err != nil {
		return 0, fmt.Errorf("rate %q: want e.g. 10Mbit or 2MB/s", s)
	}
	return n, nil
}
