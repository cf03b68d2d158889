package library_test

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/ipfs-tube/ipfs-tube/library"
)

// heardCID is the i-th of many CIDs peers announce.
func heardCID(t *testing.T, i int) cid.Cid {
	t.Helper()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(b[:])
	digest, err := mh.Encode(sum[:], mh.SHA2_256)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, digest)
}

// Peers announcing ever new CIDs do not grow the popularity table past
// its cap, and the hottest videos stay in it.
func TestAutoSeedCapsTrackedVideos(t *testing.T) {
	const maxTracked = 1000
	r := newSeedRig(t, 0)
	// Paused: rounds observe and score, and look nothing up.
	a := r.engine(library.WithMaxTracked(maxTracked), library.WithSeedingPaused(true))

	next := 0
	var hot []cid.Cid
	for round := range 4 { // 4× the cap in distinct CIDs
		viewings := map[cid.Cid]float64{}
		for range maxTracked {
			c := heardCID(t, next)
			next++
			viewings[c] = 0.125 // one block want a minute
			if round == 0 && len(hot) < 10 {
				hot = append(hot, c)
				viewings[c] = 8
			}
		}
		r.burst(a, library.DefaultSeedInterval, viewings)
		if n := a.Tracked(); n > maxTracked {
			t.Fatalf("after round %d (%d CIDs heard so far): %d videos tracked, cap %d", round, next, n, maxTracked)
		}
	}
	// A round with nothing heard: the scores are the tracked videos.
	r.burst(a, library.DefaultSeedInterval, nil)
	scores := map[cid.Cid]library.VideoScore{}
	for _, s := range a.Scores() {
		scores[s.Cid] = s
	}
	if len(scores) > maxTracked {
		t.Fatalf("%d videos scored, cap %d", len(scores), maxTracked)
	}
	for _, c := range hot {
		if s, ok := scores[c]; !ok || s.Heat < 60 {
			t.Errorf("hot video %s: %+v (tracked %v); want it kept with its heat", c, s, ok)
		}
	}
}
