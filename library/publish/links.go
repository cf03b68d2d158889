package publish

import (
	"time"

	"github.com/ipfs/go-cid"
)

// Links are the ways to share a published directory.
type Links struct {
	// IPFS is the native link ("ipfs://bafy…"), for IPFS-aware clients
	// (IPFS-Tube itself, Brave, IPFS Desktop).
	IPFS string
	// Subdomain is a subdomain gateway link, where a browser keeps each
	// CID in its own origin.
	Subdomain string
	// Path is a path gateway link, for clients that only take plain URLs.
	Path string
}

// LinksFor returns the links that share dir.
func LinksFor(dir cid.Cid) Links {
	if !dir.Defined() {
		return Links{}
	}
	// A subdomain label must be lower-case and at most 63 characters:
	// CIDv1 in base32 (how the node writes directory CIDs) is both.
	s := cid.NewCidV1(dir.Type(), dir.Hash()).String()
	return Links{
		IPFS:      "ipfs://" + s,
		Subdomain: "https://" + s + ".ipfs.dweb.link/",
		Path:      "https://ipfs.io/ipfs/" + s + "/",
	}
}

// rateMeter measures a transfer's speed over a sliding window, so the
// figure follows a disk that slows down instead of averaging it away.
type rateMeter struct {
	samples []rateSample
}

type rateSample struct {
	at   time.Time
	done int64
}

// rateWindow is how far back the rate looks.
const rateWindow = 3 * time.Second

func newRateMeter(start time.Time) *rateMeter {
	return &rateMeter{samples: []rateSample{{at: start}}}
}

func (m *rateMeter) add(at time.Time, done int64) {
	m.samples = append(m.samples, rateSample{at, done})
	// Keep one sample older than the window, so the window is always
	// spanned once there is enough history.
	cut := 0
	for cut+1 < len(m.samples) && at.Sub(m.samples[cut+1].at) > rateWindow {
		cut++
	}
	m.samples = m.samples[cut:]
}

// rate is bytes per second over the window; 0 until a tenth of a second
// has passed, since rates over shorter spans mostly measure noise.
func (m *rateMeter) rate() float64 {
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	span := last.at.Sub(first.at)
	if span < 100*time.Millisecond {
		return 0
	}
	return float64(last.done-first.done) / span.Seconds()
}
