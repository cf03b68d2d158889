package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	bsmsg "github.com/ipfs/boxo/bitswap/message"
	pb "github.com/ipfs/boxo/bitswap/message/pb"
	"github.com/ipfs/boxo/bitswap/tracer"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"
)

// VideoDemand is what this node's bitswap server saw for one video since
// Start: counts only, never which peers asked.
type VideoDemand struct {
	// Wants counts want-block entries received for the video's blocks,
	// and want-have entries for its root. A peer that keeps waiting
	// re-sends its wants, so this measures interest, not distinct blocks.
	// Want-haves for the rest are left out: a viewer sends them to every
	// peer it knows, so each provider of a video would count the same
	// viewing and a well-provided video would look as many times more
	// wanted as it has providers. The root's want-have stays: one per
	// viewer and video, and what a node that lacks the video hears of it.
	Wants int64
	// BlocksSent and BytesSent are the blocks (and their bytes) the
	// server put into messages to peers. They count when a message is
	// handed to the network, before it waits on the upload cap, so under
	// a low cap they run ahead of the wire by the few messages waiting.
	BlocksSent int64
	BytesSent  int64
	// Peers is how many distinct peers sent wants, counted up to
	// MaxDemandPeers: one greedy peer should not look like a crowd.
	Peers int
	// LastWant is when the latest want arrived; zero if none did.
	LastWant time.Time
}

// MaxDemandPeers caps VideoDemand.Peers; beyond it a video is simply popular.
const MaxDemandPeers = 256

// MaxIndexedBlocks is how many block CIDs the block→video index holds at
// most: with 1 MiB blocks, 4 TiB of video in about 170 MiB of memory
// (43 bytes an entry, measured).
const MaxIndexedBlocks = 4 << 20

// ErrIndexFull is IndexVideo's error when the video's blocks do not fit
// in the index; the video is then not indexed at all.
var ErrIndexFull = errors.New("block index full")

// IndexVideo makes the demand the node's bitswap server sees for any block
// under root count as demand for root. It reads root's internal DAG nodes
// from the local store only (raw leaves need no reading: their CIDs are in
// the links), so a 1 GiB file costs about one block read. What is not
// local is skipped and picked up by a later call; a root that is not local
// at all is indexed alone, so wants for it still count. Calling it again
// for a fully indexed root returns at once. A block shared by two indexed
// videos counts for the one indexed first.
//
// The index lives in memory until Close: index the local videos after
// each Start (Import indexes what it pins on a started node). Before
// Start it fails.
func (n *Node) IndexVideo(ctx context.Context, root cid.Cid) error {
	on := n.net.Load()
	if on == nil {
		return fmt.Errorf("index video %s: node not started", root)
	}
	if on.demand.isComplete(root) {
		return nil
	}
	keys, complete, err := n.localDAGKeys(ctx, root)
	if err != nil {
		return fmt.Errorf("index video %s: %w", root, err)
	}
	added, err := on.demand.index(root, keys, complete)
	if err != nil {
		return fmt.Errorf("index video %s: %w", root, err)
	}
	n.log.Debug("video indexed for demand", "root", root, "blocks", len(keys), "new", added, "complete", complete)
	return nil
}

// Demand is the cumulative demand since Start for every indexed video,
// keyed by the root given to IndexVideo. Nil before Start.
func (n *Node) Demand() map[cid.Cid]VideoDemand {
	on := n.net.Load()
	if on == nil {
		return nil
	}
	return on.demand.snapshot()
}

// UnattributedDemand is the demand since Start for blocks of no indexed
// video (other files, or videos not indexed yet).
func (n *Node) UnattributedDemand() VideoDemand {
	on := n.net.Load()
	if on == nil {
		return VideoDemand{}
	}
	return on.demand.unattributedDemand()
}

// localDAGKeys lists the index keys of root and of every block it links
// to, reading internal nodes from the local store only. complete is false
// when an internal node was missing, so its subtree went unlisted.
func (n *Node) localDAGKeys(ctx context.Context, root cid.Cid) (keys []blockKey, complete bool, err error) {
	complete = true
	seen := map[blockKey]struct{}{}
	stack := []cid.Cid{root}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		k := keyOf(c.Hash())
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		keys = append(keys, k)
		if c.Type() != cid.DagProtobuf || c.Prefix().MhType == mh.IDENTITY {
			continue // raw leaves have no links; other codecs are not UnixFS
		}
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		blk, err := n.blockstore.Get(ctx, c)
		if err != nil {
			complete = false // not cached yet: a later call adds it
			continue
		}
		nd, err := merkledag.DecodeProtobuf(blk.RawData())
		if err != nil {
			return nil, false, fmt.Errorf("decode %s: %w", c, err)
		}
		for _, l := range nd.Links() {
			stack = append(stack, l.Cid)
		}
	}
	return keys, complete, nil
}

// blockKey identifies a block in the index by the last 16 bytes of its
// multihash: the digest's tail, as unique as the hash is for counting
// purposes, at less than half the memory of the full multihash as a
// string key. Keying by multihash, not CID, lets a CIDv0 want meet a CIDv1
// index entry.
type blockKey [16]byte

func keyOf(m mh.Multihash) blockKey {
	var k blockKey
	if len(m) >= len(k) {
		copy(k[:], m[len(m)-len(k):])
	} else {
		copy(k[:], m)
	}
	return k
}

// demandTracker is the bitswap tracer that attributes wants and sent
// blocks to videos through the block→video index.
type demandTracker struct {
	mu     sync.Mutex
	limit  int                 // most index entries; MaxIndexedBlocks
	blocks map[blockKey]uint32 // block → position in videos
	byRoot map[blockKey]uint32 // root → position in videos
	videos []*videoDemand
	other  videoDemand // blocks of no indexed video
}

type videoDemand struct {
	root     cid.Cid
	complete bool // every internal node was local when last indexed
	demand   VideoDemand
	peers    map[peer.ID]struct{}
}

var _ tracer.Tracer = (*demandTracker)(nil)

func newDemandTracker() *demandTracker {
	return &demandTracker{
		limit:  MaxIndexedBlocks,
		blocks: map[blockKey]uint32{},
		byRoot: map[blockKey]uint32{},
	}
}

func (d *demandTracker) isComplete(root cid.Cid) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	i, ok := d.byRoot[keyOf(root.Hash())]
	return ok && d.videos[i].complete
}

// index maps keys to root. All of them or none: a half-indexed video
// would under-report its demand without anyone noticing.
func (d *demandTracker) index(root cid.Cid, keys []blockKey, complete bool) (added int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fresh := 0
	for _, k := range keys {
		if _, ok := d.blocks[k]; !ok {
			fresh++
		}
	}
	if len(d.blocks)+fresh > d.limit {
		return 0, fmt.Errorf("%w: %d blocks indexed, %d more wanted, limit %d", ErrIndexFull, len(d.blocks), fresh, d.limit)
	}
	rk := keyOf(root.Hash())
	i, ok := d.byRoot[rk]
	if !ok {
		i = uint32(len(d.videos))
		d.videos = append(d.videos, &videoDemand{root: root})
		d.byRoot[rk] = i
	}
	d.videos[i].complete = complete
	for _, k := range keys {
		if _, ok := d.blocks[k]; !ok {
			d.blocks[k] = i
			added++
		}
	}
	return added, nil
}

// MessageReceived counts the wants in a peer's message. It runs on
// bitswap's receive path, so it only does map lookups under the lock.
func (d *demandTracker) MessageReceived(p peer.ID, msg bsmsg.BitSwapMessage) {
	wants := msg.Wantlist()
	if len(wants) == 0 {
		return
	}
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range wants {
		if e.Cancel {
			continue
		}
		if e.WantType == pb.Message_Wantlist_Have && !d.isRoot(e.Cid) {
			continue // see VideoDemand.Wants
		}
		v := d.lookup(e.Cid)
		v.demand.Wants++
		v.demand.LastWant = now
		if v.peers == nil {
			v.peers = map[peer.ID]struct{}{}
		}
		if len(v.peers) < MaxDemandPeers {
			v.peers[p] = struct{}{}
		}
	}
}

// MessageSent counts the blocks the server sends; bitswap's client never
// puts blocks into messages, and its wantlists do not reach tracers.
func (d *demandTracker) MessageSent(_ peer.ID, msg bsmsg.BitSwapMessage) {
	blks := msg.Blocks()
	if len(blks) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, b := range blks {
		v := d.lookup(b.Cid())
		v.demand.BlocksSent++
		v.demand.BytesSent += int64(len(b.RawData()))
	}
}

// isRoot reports whether c is an indexed video's root. Callers hold d.mu.
func (d *demandTracker) isRoot(c cid.Cid) bool {
	_, ok := d.byRoot[keyOf(c.Hash())]
	return ok
}

// lookup is the video c belongs to, or the unattributed bucket. Callers
// hold d.mu.
func (d *demandTracker) lookup(c cid.Cid) *videoDemand {
	if i, ok := d.blocks[keyOf(c.Hash())]; ok {
		return d.videos[i]
	}
	return &d.other
}

func (d *demandTracker) snapshot() map[cid.Cid]VideoDemand {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[cid.Cid]VideoDemand, len(d.videos))
	for _, v := range d.videos {
		out[v.root] = v.withPeers()
	}
	return out
}

func (d *demandTracker) unattributedDemand() VideoDemand {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.other.withPeers()
}

func (v *videoDemand) withPeers() VideoDemand {
	out := v.demand
	out.Peers = len(v.peers)
	return out
}
