package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// The wire format of an announcement, version 2, is a JSON object:
//
//	{"v":2,"t":1767225600000,"videos":[{"cid":"bafy…","wants":12,"bytes":4194304,"window_ms":600000}]}
//
// v is the format version; t is the sender's clock in Unix milliseconds,
// strictly increasing per sender; videos lists at most
// MaxAnnouncedVideos file CIDs with the want-list entries and block bytes
// the sender's bitswap server saw for each over the last window_ms
// milliseconds (a sliding window, 100 ms to 24 h). Consecutive
// announcements cover overlapping windows, so a receiver keeps each
// sender's latest and never adds them up; a lost announcement loses
// nothing the next one does not carry again. Counts only: never who
// asked. JSON rather than CBOR: the message is small and bounded, the
// standard library decodes it, and a person can read it in a trace.
//
// Version 1 (topic /ipfs-tube/seeding/1) carried the demand since the
// sender's previous announcement, which one lost message lost for good.
const announceVersion = 2

const (
	// MaxAnnouncedVideos is how many videos one announcement may list.
	MaxAnnouncedVideos = 64
	// maxAnnounceBytes bounds an announcement on the wire. 64 entries
	// with CIDs of maxAnnounceCidLen and the largest counts fit in about
	// 12 KiB.
	maxAnnounceBytes = 16 << 10
	// maxAnnounceCidLen bounds one CID's string form: a CIDv1 with a
	// sha2-256 hash is 59 characters in base32; longer ones are exotic.
	maxAnnounceCidLen = 128
	// Counts above these are lies, not demand; they also keep sums over
	// many peers far from overflowing.
	maxAnnouncedWants = 1 << 40
	maxAnnouncedBytes = 1 << 53
	// Windows outside these bounds are refused.
	minAnnounceWindow = 100 * time.Millisecond
	maxAnnounceWindow = 24 * time.Hour
)

// announceWire is the JSON form. Unknown fields are ignored so version 2
// can grow optional fields; an incompatible change takes a new topic.
type announceWire struct {
	V      int         `json:"v"`
	T      int64       `json:"t"`
	Videos []videoWire `json:"videos"`
}

type videoWire struct {
	Cid      string `json:"cid"`
	Wants    int64  `json:"wants"`
	Bytes    int64  `json:"bytes"`
	WindowMs int64  `json:"window_ms"`
}

// decodedAnnouncement is a validated announcement, handed from the
// validator to the subscription reader through pubsub's ValidatorData.
type decodedAnnouncement struct {
	sent   time.Time // the sender's clock
	videos []Announcement
}

// Reasons an announcement is refused; they name the rejection counters.
const (
	rejectOversized = "oversized"
	rejectEncoding  = "encoding"
	rejectVersion   = "version"
	rejectEntries   = "too many entries"
	rejectVideo     = "bad video entry"
	rejectClock     = "timestamp out of range"
)

// wireError is a refusal with the reason it is counted under.
type wireError struct {
	reason string
	err    error
}

func (e *wireError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *wireError) Unwrap() error { return e.err }

func refuse(reason string, format string, args ...any) error {
	return &wireError{reason: reason, err: fmt.Errorf(format, args...)}
}

// encodeAnnouncement renders entries (already merged and bounded).
func encodeAnnouncement(sent time.Time, entries []Announcement) ([]byte, error) {
	w := announceWire{V: announceVersion, T: sent.UnixMilli(), Videos: make([]videoWire, 0, len(entries))}
	for _, e := range entries {
		w.Videos = append(w.Videos, videoWire{Cid: e.Video.String(), Wants: e.Wants, Bytes: e.BytesServed,
			WindowMs: e.Window.Milliseconds()})
	}
	data, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	if len(data) > maxAnnounceBytes {
		return nil, fmt.Errorf("announcement is %d bytes, more than %d", len(data), maxAnnounceBytes)
	}
	return data, nil
}

// decodeAnnouncement checks everything about a message that does not
// depend on who sent it or when it arrived, except the clock: now is
// the receiver's, and maxAhead and maxAge bound how far the sender's
// timestamp may lie from it.
func decodeAnnouncement(data []byte, now time.Time, maxAhead, maxAge time.Duration) (decodedAnnouncement, error) {
	if len(data) > maxAnnounceBytes {
		return decodedAnnouncement{}, refuse(rejectOversized, "%d bytes, more than %d", len(data), maxAnnounceBytes)
	}
	var w announceWire
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&w); err != nil {
		return decodedAnnouncement{}, refuse(rejectEncoding, "%v", err)
	}
	// Not dec.More: it is false before a stray ']' or '}'.
	if rest := bytes.Trim(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return decodedAnnouncement{}, refuse(rejectEncoding, "data after the object")
	}
	if w.V != announceVersion {
		return decodedAnnouncement{}, refuse(rejectVersion, "version %d, want %d", w.V, announceVersion)
	}
	if len(w.Videos) > MaxAnnouncedVideos {
		return decodedAnnouncement{}, refuse(rejectEntries, "%d videos, at most %d", len(w.Videos), MaxAnnouncedVideos)
	}
	sent := time.UnixMilli(w.T)
	if sent.After(now.Add(maxAhead)) || sent.Before(now.Add(-maxAge)) {
		return decodedAnnouncement{}, refuse(rejectClock, "sent at %s, received at %s", sent.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	out := decodedAnnouncement{sent: sent, videos: make([]Announcement, 0, len(w.Videos))}
	seen := make(map[cid.Cid]struct{}, len(w.Videos))
	for _, v := range w.Videos {
		c, err := parseAnnouncedCid(v.Cid)
		if err != nil {
			return decodedAnnouncement{}, refuse(rejectVideo, "%v", err)
		}
		if _, dup := seen[c]; dup {
			return decodedAnnouncement{}, refuse(rejectVideo, "%s listed twice", c)
		}
		seen[c] = struct{}{}
		// Bounded in milliseconds first: a huge count would wrap around
		// int64 as nanoseconds, possibly into the allowed range.
		if v.WindowMs < minAnnounceWindow.Milliseconds() || v.WindowMs > maxAnnounceWindow.Milliseconds() {
			return decodedAnnouncement{}, refuse(rejectVideo, "%s: window_ms %d out of range [%d, %d]", c, v.WindowMs,
				minAnnounceWindow.Milliseconds(), maxAnnounceWindow.Milliseconds())
		}
		window := time.Duration(v.WindowMs) * time.Millisecond
		if err := checkCounts(v.Wants, v.Bytes, window); err != nil {
			return decodedAnnouncement{}, refuse(rejectVideo, "%s: %v", c, err)
		}
		out.videos = append(out.videos, Announcement{Video: c, Wants: v.Wants, BytesServed: v.Bytes, Window: window})
	}
	return out, nil
}

func parseAnnouncedCid(s string) (cid.Cid, error) {
	if len(s) > maxAnnounceCidLen {
		return cid.Undef, fmt.Errorf("CID of %d characters, at most %d", len(s), maxAnnounceCidLen)
	}
	c, err := cid.Decode(s)
	if err != nil {
		return cid.Undef, fmt.Errorf("CID %q: %w", s, err)
	}
	return c, checkAnnouncedCid(c)
}

// checkAnnouncedCid refuses identity CIDs: they carry their content
// inline, so nobody serves them and they would smuggle data into every
// receiver's memory.
func checkAnnouncedCid(c cid.Cid) error {
	if !c.Defined() {
		return errors.New("undefined CID")
	}
	if c.Prefix().MhType == multihash.IDENTITY {
		return fmt.Errorf("identity CID %s", c)
	}
	return nil
}

func checkCounts(wants, bytes int64, window time.Duration) error {
	if wants < 0 || wants > maxAnnouncedWants {
		return fmt.Errorf("wants %d out of range [0, %d]", wants, int64(maxAnnouncedWants))
	}
	if bytes < 0 || bytes > maxAnnouncedBytes {
		return fmt.Errorf("bytes %d out of range [0, %d]", bytes, int64(maxAnnouncedBytes))
	}
	if window < minAnnounceWindow || window > maxAnnounceWindow {
		return fmt.Errorf("window %v out of range [%v, %v]", window, minAnnounceWindow, maxAnnounceWindow)
	}
	return nil
}
