package library

import (
	"context"
	"slices"

	"github.com/ipfs/go-cid"
)

// PinnedFile is a file the node pins recursively, as SeedNode.PinnedFiles
// reports it.
type PinnedFile struct {
	Cid  cid.Cid
	Size int64
}

// maxPinnedFiles bounds how many of the node's pinned files one round
// serves, indexes and announces beyond the catalog's videos: a round
// reads each one's root block, and an announcement lists 64 at most.
const maxPinnedFiles = 1024

// nodePins lists the files the node pins, for withNodePins. A failure
// costs this round the pins the catalog does not know, nothing more.
func (a *AutoSeeder) nodePins(ctx context.Context) []PinnedFile {
	pins, err := a.node.PinnedFiles(ctx, maxPinnedFiles)
	if err != nil {
		a.log.Warn("listing the node's pinned files", "err", err)
	}
	return pins
}

// withNodePins adds to a round's view of the catalog the files the node
// pins on the user's behalf without the catalog saying so: what
// `ipfs-tube add` and `pin add` import. They are served like any upload,
// so the round indexes their blocks (demand for them then counts),
// announces them (volunteers learn they are watched) and never takes them
// for candidates. Only the round's view changes, never the catalog. A pin
// of a video the catalog marks auto-seeded is the engine's own and stays
// as it is.
func withNodePins(videos map[cid.Cid]Video, pins []PinnedFile) {
	for _, p := range pins {
		v, ok := videos[p.Cid]
		if !ok {
			videos[p.Cid] = Video{Cid: p.Cid, Size: p.Size, BytesLocal: p.Size, Kept: Pinned}
			continue
		}
		if v.Kept&(OwnUpload|Pinned|AutoSeeded) != 0 {
			continue
		}
		v.Kept |= Pinned
		if v.Size <= 0 {
			v.Size = p.Size
		}
		videos[p.Cid] = v
	}
}

// pinsLeft is pins without the videos the round unpinned (dropped or
// handed to the cache), which pins listed before the round still had.
func pinsLeft(pins []PinnedFile, rep RoundReport) []PinnedFile {
	gone := map[cid.Cid]bool{}
	for _, c := range append(slices.Clone(rep.Dropped), rep.Demoted...) {
		gone[c] = true
	}
	return slices.DeleteFunc(slices.Clone(pins), func(p PinnedFile) bool { return gone[p.Cid] })
}

// pinnedElsewhere reports whether the node pins the candidate c: a pin
// the round's list left out (past maxPinnedFiles, or the listing
// failed). The engine marks a video before pinning it, so a pinned
// candidate is the user's; taking it over would let a later round unpin
// and evict it. When the node cannot tell, c counts as pinned.
func (a *AutoSeeder) pinnedElsewhere(ctx context.Context, c cid.Cid) bool {
	pinned, err := a.node.IsPinned(ctx, c)
	if err != nil {
		a.log.Debug("checking a candidate's pin", "cid", c, "err", err)
		return true
	}
	return pinned
}
