package library

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ipfs/go-cid"
)

// Limits on the text fields. Records live in the LSM tree and every List
// decodes all of them, so they must stay small; metadata from the network
// (video.json) should be cut to these sizes before Put.
const (
	MaxTitleBytes       = 1 << 10
	MaxDescriptionBytes = 32 << 10
)

// KeepReason says why a video's blocks are kept on disk. It is a bit set:
// an own upload can be pinned too.
type KeepReason uint8

const (
	// OwnUpload: the user published this video from this machine.
	OwnUpload KeepReason = 1 << iota
	// Pinned: the user asked to keep it.
	Pinned
	// Cache: blocks left from watching; the first to go when space runs out.
	Cache
	// AutoSeeded: fetched and pinned by the AutoSeeder because the network
	// needs it. Only the AutoSeeder unpins it (the Keeper leaves pinned
	// videos alone); it counts as cache against the quota.
	AutoSeeded

	allKeepReasons = OwnUpload | Pinned | Cache | AutoSeeded
)

var keepNames = []struct {
	r    KeepReason
	name string
}{
	{OwnUpload, "own_upload"},
	{Pinned, "pinned"},
	{Cache, "cache"},
	{AutoSeeded, "auto-seeded"},
}

// Has reports whether every reason in r is set in k.
func (k KeepReason) Has(r KeepReason) bool { return r != 0 && k&r == r }

func (k KeepReason) String() string {
	if k == 0 {
		return "none"
	}
	var parts []string
	for _, kn := range keepNames {
		if k&kn.r != 0 {
			parts = append(parts, kn.name)
		}
	}
	if rest := k &^ allKeepReasons; rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint8(rest)))
	}
	return strings.Join(parts, "|")
}

func (k KeepReason) validate() error {
	if rest := k &^ allKeepReasons; rest != 0 {
		return fmt.Errorf("%w: unknown keep reason bits 0x%x", ErrInvalid, uint8(rest))
	}
	return nil
}

// Video is one catalog entry: a video the user watched, uploaded or pinned.
type Video struct {
	// Cid is the video file's CID, its identity everywhere. Required.
	Cid cid.Cid
	// Dir is the published directory (video, poster, video.json) the video
	// came from; cid.Undef when it was opened or imported as a bare file.
	Dir cid.Cid

	Title       string
	Description string
	// Poster is the poster image's CID; cid.Undef when there is none.
	Poster cid.Cid

	// Duration, Width and Height are zero when unknown.
	Duration      time.Duration
	Width, Height int
	// Size is the file's size in bytes; BytesLocal how many of the file's
	// block bytes are on this machine (it can exceed Size by the DAG's
	// inner nodes).
	Size       int64
	BytesLocal int64

	// WatchCount counts viewings (see Catalog.RecordWatch).
	WatchCount   int
	LastPosition time.Duration
	// FirstWatched and LastWatched are zero until the first RecordWatch.
	FirstWatched time.Time
	LastWatched  time.Time
	// Added is when the video entered the catalog; Put sets it to now when
	// zero.
	Added time.Time

	Kept KeepReason

	// version is the record version this was read from (0 for a Video
	// built by the caller); extra holds the stored fields this build does
	// not know, written back unchanged so that an older build rewriting a
	// record does not drop what a newer one added.
	version int
	extra   map[string]json.RawMessage
}

// finishedMargin: a viewing that stopped this close to the end counts as
// finished. 5 % of the duration, at least 10 s, covers end credits.
func finishedMargin(d time.Duration) time.Duration {
	return max(d/20, 10*time.Second)
}

// Finished reports whether the last viewing reached the end (within the
// last 5 % or 10 s), so a player should start from the beginning rather
// than resume at LastPosition. False when the duration is unknown.
func (v Video) Finished() bool {
	return v.Duration > 0 && v.WatchCount > 0 && v.LastPosition >= v.Duration-finishedMargin(v.Duration)
}

func (v *Video) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if !v.Cid.Defined() {
		bad("undefined CID")
	}
	if !utf8.ValidString(v.Title) {
		bad("title is not valid UTF-8")
	}
	if len(v.Title) > MaxTitleBytes {
		bad("title is %d bytes, more than %d", len(v.Title), MaxTitleBytes)
	}
	if !utf8.ValidString(v.Description) {
		bad("description is not valid UTF-8")
	}
	if len(v.Description) > MaxDescriptionBytes {
		bad("description is %d bytes, more than %d", len(v.Description), MaxDescriptionBytes)
	}
	if v.Duration < 0 {
		bad("negative duration %v", v.Duration)
	}
	if v.Width < 0 || v.Height < 0 {
		bad("negative resolution %dx%d", v.Width, v.Height)
	}
	if v.Size < 0 {
		bad("negative size %d", v.Size)
	}
	if v.BytesLocal < 0 {
		bad("negative bytes local %d", v.BytesLocal)
	}
	if v.WatchCount < 0 {
		bad("negative watch count %d", v.WatchCount)
	}
	if v.LastPosition < 0 {
		bad("negative last position %v", v.LastPosition)
	}
	if !v.FirstWatched.IsZero() && !v.LastWatched.IsZero() && v.LastWatched.Before(v.FirstWatched) {
		bad("last watched %v is before first watched %v", v.LastWatched, v.FirstWatched)
	}
	if err := v.Kept.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// recordVersion is the version of the records this build writes. Adding a
// field keeps it (older builds ignore the field and write it back as they
// found it); changing a field's meaning, or adding a keep reason, bumps it,
// and older builds then read such records but refuse to write them.
// Version 2 added the keep reason "auto-seeded".
const recordVersion = 2

// record is a Video's stored form (JSON). Durations are integer nanoseconds
// so that values round-trip exactly; times are UTC.
type record struct {
	V            int       `json:"v"`
	Cid          string    `json:"cid"`
	Dir          string    `json:"dir,omitempty"`
	Title        string    `json:"title,omitempty"`
	Description  string    `json:"description,omitempty"`
	Poster       string    `json:"poster,omitempty"`
	DurationNs   int64     `json:"duration_ns,omitempty"`
	Width        int       `json:"width,omitempty"`
	Height       int       `json:"height,omitempty"`
	Size         int64     `json:"size,omitempty"`
	BytesLocal   int64     `json:"bytes_local,omitempty"`
	WatchCount   int       `json:"watch_count,omitempty"`
	LastPosNs    int64     `json:"last_position_ns,omitempty"`
	FirstWatched time.Time `json:"first_watched,omitzero"`
	LastWatched  time.Time `json:"last_watched,omitzero"`
	Added        time.Time `json:"added,omitzero"`
	Kept         []string  `json:"kept,omitempty"`
}

// knownFields are record's JSON names; anything else in a stored record
// goes to Video.extra.
var knownFields = map[string]bool{
	"v": true, "cid": true, "dir": true, "title": true, "description": true,
	"poster": true, "duration_ns": true, "width": true, "height": true,
	"size": true, "bytes_local": true, "watch_count": true,
	"last_position_ns": true, "first_watched": true, "last_watched": true,
	"added": true, "kept": true,
}

// isKnownField says whether encoding/json reads key into a record field:
// it matches names ignoring case (even "\u212aept", with a Kelvin sign,
// is "kept"), and such a key kept as unknown would be written beside the
// field and could win over it at the next read.
func isKnownField(key string) bool {
	if knownFields[key] {
		return true
	}
	for k := range knownFields {
		if strings.EqualFold(key, k) {
			return true
		}
	}
	return false
}

func cidString(c cid.Cid) string {
	if !c.Defined() {
		return ""
	}
	return c.String()
}

func encodeVideo(v Video) ([]byte, error) {
	r := record{
		V:            recordVersion,
		Cid:          v.Cid.String(),
		Dir:          cidString(v.Dir),
		Title:        v.Title,
		Description:  v.Description,
		Poster:       cidString(v.Poster),
		DurationNs:   int64(v.Duration),
		Width:        v.Width,
		Height:       v.Height,
		Size:         v.Size,
		BytesLocal:   v.BytesLocal,
		WatchCount:   v.WatchCount,
		LastPosNs:    int64(v.LastPosition),
		FirstWatched: v.FirstWatched.UTC(),
		LastWatched:  v.LastWatched.UTC(),
		Added:        v.Added.UTC(),
	}
	for _, kn := range keepNames {
		if v.Kept&kn.r != 0 {
			r.Kept = append(r.Kept, kn.name)
		}
	}
	b, err := marshal(r)
	if err != nil || len(v.extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, raw := range v.extra {
		if !isKnownField(k) {
			m[k] = raw
		}
	}
	return marshal(m)
}

// marshal is json.Marshal without HTML escaping, which would store a
// title's "<" as six bytes.
func marshal(x any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decodeVideo parses a stored record. key is the CID the record is stored
// under; a record naming another CID is corrupt.
func decodeVideo(key cid.Cid, b []byte) (Video, error) {
	// Records with unknown fields are rare (written by a newer build), so
	// a strict decode comes first and only they pay for a second pass
	// that collects the unknown fields.
	var r record
	hasUnknown := false
	if err := decodeStrict(b, &r, true); err != nil {
		if !strings.HasPrefix(err.Error(), "json: unknown field") {
			return Video{}, fmt.Errorf("decode: %w", err)
		}
		r, hasUnknown = record{}, true
		if err := decodeStrict(b, &r, false); err != nil {
			return Video{}, fmt.Errorf("decode: %w", err)
		}
	}
	if r.V < 1 {
		return Video{}, fmt.Errorf("missing or bad version %d", r.V)
	}
	v := Video{
		Title:        r.Title,
		Description:  r.Description,
		Duration:     time.Duration(r.DurationNs),
		Width:        r.Width,
		Height:       r.Height,
		Size:         r.Size,
		BytesLocal:   r.BytesLocal,
		WatchCount:   r.WatchCount,
		LastPosition: time.Duration(r.LastPosNs),
		FirstWatched: r.FirstWatched,
		LastWatched:  r.LastWatched,
		Added:        r.Added,
		version:      r.V,
	}
	var err error
	if v.Cid, err = cid.Decode(r.Cid); err != nil {
		return Video{}, fmt.Errorf("cid %q: %w", r.Cid, err)
	}
	if !v.Cid.Equals(key) {
		return Video{}, fmt.Errorf("record names %s but is stored under %s", v.Cid, key)
	}
	if r.Dir != "" {
		if v.Dir, err = cid.Decode(r.Dir); err != nil {
			return Video{}, fmt.Errorf("dir %q: %w", r.Dir, err)
		}
	}
	if r.Poster != "" {
		if v.Poster, err = cid.Decode(r.Poster); err != nil {
			return Video{}, fmt.Errorf("poster %q: %w", r.Poster, err)
		}
	}
next:
	for _, name := range r.Kept {
		for _, kn := range keepNames {
			if kn.name == name {
				v.Kept |= kn.r
				continue next
			}
		}
		// A newer version may add reasons; this build cannot write such a
		// record anyway, so it reads the reasons it knows.
		if r.V <= recordVersion {
			return Video{}, fmt.Errorf("unknown keep reason %q", name)
		}
	}
	if err := v.validate(); err != nil {
		return Video{}, err
	}
	if hasUnknown {
		var all map[string]json.RawMessage
		if err := json.Unmarshal(b, &all); err != nil {
			return Video{}, fmt.Errorf("decode: %w", err)
		}
		for k, raw := range all {
			if !isKnownField(k) {
				if v.extra == nil {
					v.extra = make(map[string]json.RawMessage)
				}
				v.extra[k] = raw
			}
		}
	}
	return v, nil
}

// decodeStrict decodes one JSON object, with nothing after it.
func decodeStrict(b []byte, r *record, disallowUnknown bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if disallowUnknown {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(r); err != nil {
		return err
	}
	// Not dec.More: it is false before a stray ']' or '}'.
	if rest := bytes.Trim(b[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return errors.New("trailing data after the record")
	}
	return nil
}

// mergeExtra returns the unknown fields to write: the stored record's,
// overridden by those the caller's Video carries.
func mergeExtra(stored, mine map[string]json.RawMessage) map[string]json.RawMessage {
	if len(stored) == 0 {
		return mine
	}
	out := maps.Clone(stored)
	maps.Copy(out, mine)
	return out
}
