package node

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// ByteRange is the half-open span [Start, End) of a file's bytes.
type ByteRange struct {
	Start, End int64
}

// LocalRanges lists which bytes of the UnixFS file c are in the local
// blockstore, in order, adjacent leaves merged: what a seek bar shades as
// cached. It asks no peer: an internal node that is not local hides its
// children, so its whole span counts as missing. A root that is not local
// gives no ranges.
func (n *Node) LocalRanges(ctx context.Context, c cid.Cid) ([]ByteRange, error) {
	blk, err := n.blockstore.Get(ctx, c)
	switch {
	case ipld.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("local ranges %s: %w", c, err)
	}
	if c.Type() == cid.Raw {
		return []ByteRange{{0, int64(len(blk.RawData()))}}, nil
	}
	info, _, err := decodeFileNode(blk)
	if err != nil {
		return nil, fmt.Errorf("local ranges %s: %w", c, err)
	}
	var out []ByteRange
	if err := n.collectLocal(ctx, info, 0, &out); err != nil {
		return nil, fmt.Errorf("local ranges %s: %w", c, err)
	}
	return out, nil
}

// collectLocal appends the local spans below one file node starting at
// base. Children come in file order, so merging with the last span is
// enough.
func (n *Node) collectLocal(ctx context.Context, info *fileNodeInfo, base int64, out *[]ByteRange) error {
	add := func(start, end int64) {
		if k := len(*out); k > 0 && (*out)[k-1].End == start {
			(*out)[k-1].End = end
			return
		}
		*out = append(*out, ByteRange{start, end})
	}
	if len(info.data) > 0 {
		add(base, base+int64(len(info.data)))
	}
	for _, ch := range info.children {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := base + ch.off
		if ch.size == 0 {
			continue
		}
		if ch.cid.Type() == cid.Raw {
			has, err := n.blockstore.Has(ctx, ch.cid)
			if err != nil {
				return err
			}
			if has {
				add(start, start+ch.size)
			}
			continue
		}
		// A dag-pb child is an internal node or a leaf with inline data;
		// only its content says which.
		blk, err := n.blockstore.Get(ctx, ch.cid)
		if ipld.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		cinfo, _, err := decodeFileNode(blk)
		if err != nil {
			return fmt.Errorf("node %s: %w", ch.cid, err)
		}
		if err := n.collectLocal(ctx, cinfo, start, out); err != nil {
			return err
		}
	}
	return nil
}

// Range headers. Boxo's gateway handler parses the Range header itself,
// and gets two edges wrong: a suffix of length 0 ("bytes=-0") becomes a
// 206 with the impossible Content-Range "bytes SIZE-(SIZE-1)/SIZE", and
// a position past int64 is a 400 although RFC 9110 §14.1.1 allows any
// number of digits. So the gateway puts guardRanges in front of it: it
// parses the header here, drops the specs no file can satisfy (suffixes
// of length 0), answers 416 when none is left, clamps positions past
// int64 (no file is that long) and hands boxo the header in canonical
// form. A header that does not parse goes to boxo as it came, which
// refuses it. The 416 for a set of only empty suffixes carries no
// Content-Range: it is answered before the path is resolved (RFC 9110
// makes the header a SHOULD), so a request that gets nothing fetches
// nothing.

// rangeSpec is one byte-range-spec of a Range header: "first-last",
// "first-" (last < 0), or "-suffix" (first < 0, last is the suffix
// length). Positions are inclusive, as in the header.
type rangeSpec struct {
	first, last int64
}

// errBadRange is wrapped by every parseRangeHeader error.
var errBadRange = errors.New("invalid range")

// parseRangeHeader reads a Range header value: the unit "bytes"
// (case-insensitive), "=", then a comma-separated list of specs with
// optional spaces or tabs around each. Empty list elements are skipped,
// as RFC 9110's list syntax asks; at least one spec is required.
func parseRangeHeader(h string) ([]rangeSpec, error) {
	unit, set, ok := strings.Cut(h, "=")
	if !ok || !strings.EqualFold(textproto.TrimString(unit), "bytes") {
		return nil, fmt.Errorf("range %q: %w: want bytes=FIRST-LAST", h, errBadRange)
	}
	var specs []rangeSpec
	for s := range strings.SplitSeq(set, ",") {
		s = strings.Trim(s, " \t")
		if s == "" {
			continue
		}
		spec, err := parseRangeSpec(s)
		if err != nil {
			return nil, fmt.Errorf("range %q: %w", h, err)
		}
		specs = append(specs, spec)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("range %q: %w: no ranges", h, errBadRange)
	}
	return specs, nil
}

func parseRangeSpec(s string) (rangeSpec, error) {
	first, last, ok := strings.Cut(s, "-")
	if !ok {
		return rangeSpec{}, fmt.Errorf("%w: %q has no dash", errBadRange, s)
	}
	if first == "" {
		n, ok := rangePos(last)
		if !ok {
			return rangeSpec{}, fmt.Errorf("%w: suffix %q is not a number", errBadRange, s)
		}
		return rangeSpec{first: -1, last: n}, nil
	}
	f, ok := rangePos(first)
	if !ok {
		return rangeSpec{}, fmt.Errorf("%w: %q does not start with a number", errBadRange, s)
	}
	if last == "" {
		return rangeSpec{first: f, last: -1}, nil
	}
	l, ok := rangePos(last)
	if !ok {
		return rangeSpec{}, fmt.Errorf("%w: %q does not end with a number", errBadRange, s)
	}
	if l < f {
		return rangeSpec{}, fmt.Errorf("%w: %q ends before it starts", errBadRange, s)
	}
	return rangeSpec{first: f, last: l}, nil
}

// rangePos reads 1*DIGIT, ASCII digits only (no sign), clamped to
// math.MaxInt64: a position that large lies past any file.
func rangePos(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		d := s[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-int64(d-'0'))/10 {
			n = math.MaxInt64 // keep scanning: the rest must still be digits
			continue
		}
		n = n*10 + int64(d-'0')
	}
	return n, true
}

// String is the spec as a header writes it.
func (s rangeSpec) String() string {
	switch {
	case s.first < 0:
		return "-" + strconv.FormatInt(s.last, 10)
	case s.last < 0:
		return strconv.FormatInt(s.first, 10) + "-"
	default:
		return strconv.FormatInt(s.first, 10) + "-" + strconv.FormatInt(s.last, 10)
	}
}

// formatRangeHeader is the canonical header for specs.
func formatRangeHeader(specs []rangeSpec) string {
	parts := make([]string, len(specs))
	for i, s := range specs {
		parts[i] = s.String()
	}
	return "bytes=" + strings.Join(parts, ",")
}

// span is the part of a file of size bytes the spec selects; ok is
// false when it selects nothing (unsatisfiable). An end past the file
// is clamped to its last byte; a suffix longer than the file is the
// whole file.
func (s rangeSpec) span(size int64) (r ByteRange, ok bool) {
	switch {
	case size <= 0:
		return ByteRange{}, false
	case s.first < 0:
		if s.last == 0 {
			return ByteRange{}, false
		}
		return ByteRange{Start: size - min(s.last, size), End: size}, true
	case s.first >= size:
		return ByteRange{}, false
	case s.last < 0 || s.last >= size-1:
		return ByteRange{Start: s.first, End: size}, true
	default:
		return ByteRange{Start: s.first, End: s.last + 1}, true
	}
}

// neverSatisfiable says whether no file, of any size, has bytes the spec
// selects: a suffix of length 0.
func (s rangeSpec) neverSatisfiable() bool { return s.first < 0 && s.last == 0 }

// guardRanges puts a Range header in canonical form before next sees
// it, dropping specs that select nothing whatever the file, and answers
// 416 when nothing is left (see above).
func guardRanges(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Range")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		specs, err := parseRangeHeader(h)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		specs = slices.DeleteFunc(specs, rangeSpec.neverSatisfiable)
		if len(specs) == 0 {
			http.Error(w, fmt.Sprintf("range %q selects no bytes", h), http.StatusRequestedRangeNotSatisfiable)
			return
		}
		r2 := r.Clone(r.Context())
		r2.Header.Set("Range", formatRangeHeader(specs))
		next.ServeHTTP(w, r2)
	})
}
