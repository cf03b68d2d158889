package node

import (
	"math"
	"slices"
	"testing"

	"github.com/ipfs/boxo/gateway"
)

// rangeSeeds are the Range headers of the gateway tests, and the edges.
var rangeSeeds = []string{
	"bytes=100-199", "bytes=1048570-2097160", "bytes=-1000", "bytes=0-", "bytes=5-",
	"bytes=0-9223372036854775807", "bytes=9223372036854775807-", "bytes=-9223372036854775807",
	"bytes=-0", "bytes=-0,10-19", "bytes= 1-2 ,, 3-", "Bytes=0-99999999999999999999",
	"bytes=", "bytes=5-4", "bytes=+1-2", "items=0-1", "bytes=1", "bytes=--1",
}

// FuzzRangeHeader: a header parses to specs whose canonical form parses
// back to the same specs; every span a spec selects lies within the
// file and is not empty; and servedSpan, given the ranges boxo hands the
// backend for that header, names a part of the file.
func FuzzRangeHeader(f *testing.F) {
	for i, h := range rangeSeeds {
		f.Add(h, uint64(3<<20+777)>>(i%3*8))
	}
	f.Add("bytes=0-0", uint64(0))
	f.Fuzz(func(t *testing.T, h string, usize uint64) {
		size := int64(usize >> 1) // any non-negative int64
		specs, err := parseRangeHeader(h)
		if err != nil {
			return
		}
		canon := formatRangeHeader(specs)
		again, err := parseRangeHeader(canon)
		if err != nil || !slices.Equal(again, specs) {
			t.Fatalf("%q → %q → %v, %v; want %v", h, canon, again, err, specs)
		}
		for _, s := range specs {
			r, ok := s.span(size)
			if !ok {
				if s.first >= 0 && s.first < size {
					t.Fatalf("%q of %d bytes: %v selects nothing, but it starts inside", h, size, s)
				}
				continue
			}
			if r.Start < 0 || r.Start >= r.End || r.End > size {
				t.Fatalf("%q: %v of a file of %d bytes gives span %v", h, s, size, r)
			}
			if s.neverSatisfiable() {
				t.Fatalf("%q: %v is never satisfiable, yet selects %v", h, s, r)
			}
		}
		start, end := servedSpan(boxoRanges(specs), size)
		if start < 0 || start > end || end > size {
			t.Fatalf("%q: servedSpan of a file of %d bytes is [%d, %d)", h, size, start, end)
		}
	})
}

// boxoRanges is what boxo's handler passes the backend for a header
// whose specs are these (its parseRangeWithoutLength).
func boxoRanges(specs []rangeSpec) []gateway.ByteRange {
	out := make([]gateway.ByteRange, 0, len(specs))
	for _, s := range specs {
		switch {
		case s.first < 0:
			out = append(out, gateway.ByteRange{From: -s.last})
		case s.last < 0:
			out = append(out, gateway.ByteRange{From: s.first})
		default:
			last := s.last
			out = append(out, gateway.ByteRange{From: s.first, To: &last})
		}
	}
	return out
}

// TestServedSpanEdges: an end past the file, up to the largest int64,
// is the file's end (it used to overflow to a negative end, which turned
// the response's read-ahead off).
func TestServedSpanEdges(t *testing.T) {
	const size = 1000
	maxTo, past := int64(math.MaxInt64), int64(size)
	for _, tc := range []struct {
		ranges     []gateway.ByteRange
		start, end int64
	}{
		{[]gateway.ByteRange{{From: 0, To: &maxTo}}, 0, size},
		{[]gateway.ByteRange{{From: 10, To: &maxTo}}, 10, size},
		{[]gateway.ByteRange{{From: 10, To: &past}}, 10, size},
		{[]gateway.ByteRange{{From: -math.MaxInt64}}, 0, size},
		{[]gateway.ByteRange{{From: math.MaxInt64}}, 0, size},
	} {
		if start, end := servedSpan(tc.ranges, size); start != tc.start || end != tc.end {
			t.Errorf("servedSpan(%+v, %d) = [%d, %d), want [%d, %d)", tc.ranges[0], size, start, end, tc.start, tc.end)
		}
	}
}

func TestParseRangeHeader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []rangeSpec
	}{
		{"bytes=0-499", []rangeSpec{{0, 499}}},
		{"BYTES = 1-2 ,, -3,4- ", []rangeSpec{{1, 2}, {-1, 3}, {4, -1}}},
		{"bytes=0-99999999999999999999", []rangeSpec{{0, math.MaxInt64}}},
	} {
		if got, err := parseRangeHeader(tc.in); err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseRangeHeader(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "bytes=", "bytes=,", "items=0-1", "bytes=1", "bytes=5-4", "bytes=+1-2", "bytes=-+1", "bytes=--1", "bytes=1-2-3", "bytes=0x1-"} {
		if got, err := parseRangeHeader(bad); err == nil {
			t.Errorf("parseRangeHeader(%q) = %v, want an error", bad, got)
		}
	}
}
