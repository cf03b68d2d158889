package playerview

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// statsLine turns successive Stats readings into "From peers · 3 peers ·
// 12 MiB/s".
type statsLine struct {
	prev   Stats
	prevAt time.Time
	source string // where the newest bytes came from; kept while idle
	rate   float64
	peers  int
	text   string
}

// update takes a new reading. The speed is what came over the network
// (peers and gateways) per second since the previous reading; the source
// is whichever of disk, peers and gateways gave the most bytes since then.
func (l *statsLine) update(s Stats, at time.Time) {
	if !l.prevAt.IsZero() {
		dt := at.Sub(l.prevAt).Seconds()
		dLocal := s.BytesLocal - l.prev.BytesLocal
		dPeers := s.BytesFromPeers - l.prev.BytesFromPeers
		dGateways := s.BytesFromGateways - l.prev.BytesFromGateways
		if dt > 0 {
			l.rate = float64(max(0, dPeers)+max(0, dGateways)) / dt
		}
		switch {
		case dGateways > 0 && dGateways >= dPeers && dGateways >= dLocal:
			l.source = "From gateways"
		case dPeers > 0 && dPeers >= dLocal:
			l.source = "From peers"
		case dLocal > 0:
			l.source = "From this computer"
		}
	}
	l.prev, l.prevAt, l.peers = s, at, s.Peers
	peers := fmt.Sprintf("%d peers", s.Peers)
	if s.Peers == 1 {
		peers = "1 peer"
	}
	if l.source == "" {
		l.text = peers + " · " + ui.Rate(l.rate)
		return
	}
	l.text = l.source + " · " + peers + " · " + ui.Rate(l.rate)
}

// poll refreshes the stats line and the local ranges and saves progress,
// once a second, until Close.
func (v *View) poll() {
	defer v.wg.Done()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		v.pollOnce()
		select {
		case <-v.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pollWait bounds each backend call of a poll, so one stuck call delays
// the stats line rather than stopping it.
const pollWait = 3 * time.Second

func (v *View) pollOnce() {
	ctx, cancel := context.WithTimeout(v.ctx, pollWait)
	defer cancel()
	changed := false
	if st, err := v.src.Stats(ctx); err != nil {
		v.log.Debug("stats", "err", err)
	} else {
		v.mu.Lock()
		before := v.stats.text
		v.stats.update(st, time.Now())
		changed = v.stats.text != before
		v.mu.Unlock()
	}

	s := v.current()
	if s == nil {
		if changed {
			v.scheduleUI()
		}
		return
	}
	v.mu.Lock()
	file, size := s.stream.File, s.stream.Size
	v.mu.Unlock()
	if file.Defined() && size > 0 {
		ranges, err := v.src.LocalRanges(ctx, file)
		if err != nil {
			v.log.Debug("local ranges", "cid", file.String(), "err", err)
		} else {
			spans := toSpans(ranges, size)
			v.mu.Lock()
			if !sameSpans(s.local, spans) {
				s.local = spans
				changed = true
			}
			v.mu.Unlock()
		}
	}
	s.saveProgress(false)
	if changed {
		v.scheduleUI()
	}
}

// toSpans maps byte ranges to shares of the file, merging neighbours and
// dropping what cannot be seen. A share of the bytes stands for the same
// share of the time: exact for constant bit rates, close enough for a
// seek bar otherwise.
func toSpans(ranges []node.ByteRange, size int64) []span {
	if size <= 0 {
		return nil
	}
	rs := append([]node.ByteRange(nil), ranges...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
	var out []span
	// Gaps under a pixel of a wide bar would only fragment the drawing.
	const join = 1.0 / 2000
	for _, r := range rs {
		if r.End <= r.Start {
			continue
		}
		s := span{clamp01(float64(r.Start) / float64(size)), clamp01(float64(r.End) / float64(size))}
		if n := len(out); n > 0 && s.from-out[n-1].to <= join {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	return out
}
