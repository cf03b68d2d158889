// Package units reads the sizes and rates the command line takes
// (`daemon --quota 50GB --upload-limit 10Mbit`).
//
// Sizes are a number with an optional unit, as go-humanize reads them:
// decimal units (kB, MB, GB, or k, M, G) are powers of 1000, binary ones
// (KiB, MiB, GiB) powers of 1024; at most 2^62 bytes.
//
// Rates are per second, with an optional "/s" or "ps". A unit ending in
// "bit" (any case) or a lowercase "b" counts bits, as networks write
// them: "10Mbit", "10Mb/s" and "10Mbps" are all 1.25 MB/s. Otherwise
// the unit counts bytes: "2MB/s", "2MiB/s", "500k", or a bare number of
// bytes. A rate of 0 (in any unit) means no cap, which is what the
// flags' absence means too; a rate above 0 that is less than 1 B/s
// ("7bit", "0.5") is refused, since rounding it down would turn a
// near-total cap into none. A fraction of a byte per second is dropped.
//
// Every later parser of untrusted input gets a fuzz target (see
// internal/fuzz); FuzzParseSize and FuzzParseRate are these.
package units

import (
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
)

// MaxSize is the largest size ParseSize accepts.
const MaxSize = 1 << 62

// ParseSize reads sizes like "100MB", "2GiB", "512k" or a plain byte
// count.
func ParseSize(s string) (int64, error) {
	n, err := humanize.ParseBytes(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("size %q: want a number with an optional unit such as 100MB or 2GiB", s)
	}
	if n > MaxSize {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(n), nil
}

// ParseRate reads a rate in bytes per second: "10Mbit", "10Mb/s" or
// "10Mbps" (bits), "2MB/s", "2MiB/s" or "500k" (bytes). 0 is no cap.
func ParseRate(s string) (int64, error) {
	in := strings.TrimSpace(s)
	v := strings.TrimSuffix(strings.TrimSuffix(in, "/s"), "ps")
	n, err := parseRateValue(v)
	if err != nil {
		return 0, fmt.Errorf("rate %q: %w", s, err)
	}
	if n == 0 && !isZero(v) {
		return 0, fmt.Errorf("rate %s is below 1 B/s; use 0 for no cap", in)
	}
	return n, nil
}

func parseRateValue(v string) (int64, error) {
	bad := fmt.Errorf("want e.g. 10Mbit or 2MB/s")
	var num string
	switch {
	case strings.HasSuffix(strings.ToLower(v), "bit"):
		num = v[:len(v)-len("bit")]
	case strings.HasSuffix(v, "b"):
		num = v[:len(v)-len("b")]
	default:
		n, err := ParseSize(v)
		if err != nil {
			return 0, bad
		}
		return n, nil
	}
	if strings.TrimSpace(num) == "" {
		return 0, fmt.Errorf("no number")
	}
	bits, err := humanize.ParseBytes(num)
	if err != nil {
		return 0, bad
	}
	return int64(bits / 8), nil // at most 2^64/8, within int64
}

// isZero says whether the number a rate starts with is zero ("0",
// "0.0", "0 MB"): only then may it read as 0.
func isZero(v string) bool {
	digits := strings.TrimSpace(v)
	end := strings.IndexFunc(digits, func(r rune) bool { return !strings.ContainsRune("0123456789.,", r) })
	if end >= 0 {
		digits = digits[:end]
	}
	return !strings.ContainsAny(digits, "123456789")
}
