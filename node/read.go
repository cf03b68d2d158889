package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/ipld/merkledag"
	ft "github.com/ipfs/boxo/ipld/unixfs"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// ErrNotFile is returned when a CID names something other than a UnixFS
// file (a directory, say).
var ErrNotFile = errors.New("not a file")

// ErrCorruptFile is returned for a UnixFS file node that cannot describe
// a file: its block sizes add up past what a file offset holds (2^63-1).
var ErrCorruptFile = errors.New("corrupt UnixFS file")

// DefaultReadAhead is how many bytes beyond the cursor a File keeps
// fetching: 64 one-MiB blocks. Bitswap moves blocks at a rate bound by
// per-block latency, so depth is what buys throughput (64 blocks still
// fetch faster than 32 on loopback), and at 40 ms RTT it keeps far more
// than 4 blocks in flight.
const DefaultReadAhead = 64 << 20

// blockGetter is what a File needs to fetch blocks.
type blockGetter interface {
	GetBlock(ctx context.Context, c cid.Cid) (blocks.Block, error)
}

// File reads a UnixFS file with random access. Reads fetch the block under
// the cursor and keep the next blocks (up to the read-ahead window) in
// flight; seeking away cancels fetches outside the new window. Memory is
// bounded by the window, whatever the file's size.
//
// A File is not safe for concurrent use.
type File struct {
	ctx    context.Context
	cancel context.CancelFunc
	get    blockGetter
	retry  blockGetter   // asked when get stalls; nil means get again
	local  blockHaver    // tells local leaves from fetched ones; nil counts all as fetched
	sink   readStatsSink // also receives every count, nil for none
	// fromGateway tells fetched leaves the gateways delivered; nil counts
	// every fetched leaf as from peers.
	fromGateway func(cid.Cid) bool
	endsCtx     context.Context
	stallWait   time.Duration // first wait before asking again
	root        cid.Cid
	size        int64
	off         int64
	readAhead   int64
	// window is the read-ahead in use: it starts at nothing when the File
	// opens or the reader jumps, and doubles with every leaf read in order
	// up to readAhead (see prefetch).
	window int64
	// meter measures delivery from peers and caps the window (nil: no cap).
	meter *deliveryMeter
	// restart asks the reader to start its window over (dropReadAhead).
	restart atomic.Bool
	// seeding: fetches draw from the download cap (OpenForSeeding).
	seeding bool
	// limit stops read-ahead: a reader serving one byte range (an HTTP
	// range request) needs nothing past it. Open sets it to the size.
	limit int64

	nodes map[cid.Cid]*fileNodeInfo // decoded internal nodes
	cur   *fetch                    // the leaf under the cursor, once fetched

	mu       sync.Mutex
	inflight map[int64]*fetch // by leaf start offset
	stats    ReadStats
}

// ReadStats counts a File's fetching of leaves (the blocks holding file
// bytes), for stats lines and tests. Internal nodes, a few KiB per GiB of
// file, are not counted.
type ReadStats struct {
	BlocksFetched int64 `json:"blocks_fetched"`
	BytesFetched  int64 `json:"bytes_fetched"`
	// BytesLocal were already in the blockstore; BytesFromPeers came from
	// bitswap peers and BytesFromGateways from HTTP gateways. Together they
	// make BytesFetched.
	BytesLocal        int64 `json:"bytes_local"`
	BytesFromPeers    int64 `json:"bytes_from_peers"`
	BytesFromGateways int64 `json:"bytes_from_gateways"`
	MaxInflight       int   `json:"max_inflight"`
	// CancelledBlocks were requested and then dropped before they came:
	// left behind by a seek, or still on the way when the File closed.
	CancelledBlocks int64 `json:"cancelled_blocks"`
	// Retries counts requests asked again after a stall.
	Retries int64 `json:"retries"`
}

// add sums counts; MaxInflight takes the larger.
func (s *ReadStats) add(d ReadStats) {
	s.BlocksFetched += d.BlocksFetched
	s.BytesFetched += d.BytesFetched
	s.BytesLocal += d.BytesLocal
	s.BytesFromPeers += d.BytesFromPeers
	s.BytesFromGateways += d.BytesFromGateways
	s.MaxInflight = max(s.MaxInflight, d.MaxInflight)
	s.CancelledBlocks += d.CancelledBlocks
	s.Retries += d.Retries
}

// readStatsSink collects the counts of many Files (the gateway's totals).
type readStatsSink interface {
	addReadStats(d ReadStats)
}

// blockHaver answers whether a block is stored locally, without fetching.
type blockHaver interface {
	Has(ctx context.Context, c cid.Cid) (bool, error)
}

// fileNodeInfo is a decoded file node: inline data first, then children.
type fileNodeInfo struct {
	data     []byte
	children []childRef
}

type childRef struct {
	cid       cid.Cid
	off, size int64 // relative to the parent's start
}

// leafRef locates one leaf (a block holding file bytes) in the file.
type leafRef struct {
	cid       cid.Cid
	off, size int64 // absolute
	inline    []byte
}

type fetch struct {
	ref    leafRef
	done   chan struct{}
	data   []byte
	err    error
	cancel context.CancelFunc
	// sticky fetches (the file's first and last leaves) survive seeks and
	// Close: the player will want them whatever it reads next.
	sticky bool
}

// FileOption tunes Open.
type FileOption func(*File)

// ReadAhead sets the read-ahead window in bytes (0 disables it).
func ReadAhead(bytes int64) FileOption { return func(f *File) { f.readAhead = bytes } }

// DefaultStallWait is how long a block may take before it is asked for
// again. Bitswap sessions have been seen to lose a want for good under
// load; asking again (outside the session) recovers. The wait doubles on
// each retry so a slow link is not flooded with repeats.
const DefaultStallWait = 5 * time.Second

// StallWait sets the first wait before a stalled block is asked again.
func StallWait(d time.Duration) FileOption { return func(f *File) { f.stallWait = d } }

// PrefetchEnds starts fetching the file's first and last leaves at Open,
// both at once, before any Read. Players read a video's head and then
// often jump to its end (an MP4 whose index is written last), so the tail
// is fetched while the head is read. These two fetches run under ctx,
// not the File's: seeking away or closing the File does not cancel them,
// and the blocks land in the blockstore for the next reader. Each is
// bounded by EndsPrefetchTimeout.
func PrefetchEnds(ctx context.Context) FileOption { return func(f *File) { f.endsCtx = ctx } }

// EndsPrefetchTimeout bounds each PrefetchEnds fetch.
const EndsPrefetchTimeout = 2 * time.Minute

// withStatsSink also sends every count to s.
func withStatsSink(s readStatsSink) FileOption { return func(f *File) { f.sink = s } }

// Open returns a random-access reader over the UnixFS file c, fetching
// blocks from peers when they are not local. Reading is no walk: a File
// reads the blocks under what its reader asks for and keeps only the
// file's internal nodes (by CID), so ctx's walk budget, if any, does not
// apply to it.
func (n *Node) Open(ctx context.Context, c cid.Cid, opts ...FileOption) (*File, error) {
	ctx = unboundWalk(ctx)
	var probe File
	for _, o := range opts {
		o(&probe)
	}
	bs := n.blockService()
	if probe.seeding {
		bs, _ = n.seedingServices()
	}
	return openFile(ctx, blockservice.NewSession(ctx, bs), c,
		append([]FileOption{func(f *File) {
			f.retry, f.local, f.meter, f.fromGateway = bs, n.blockstore, &n.delivery, n.tookFromGateway
		}}, opts...)...)
}

func openFile(ctx context.Context, get blockGetter, c cid.Cid, opts ...FileOption) (*File, error) {
	fctx, cancel := context.WithCancel(ctx)
	f := &File{
		ctx: fctx, cancel: cancel, get: get, root: c, readAhead: DefaultReadAhead, stallWait: DefaultStallWait,
		nodes: map[cid.Cid]*fileNodeInfo{}, inflight: map[int64]*fetch{},
	}
	for _, o := range opts {
		o(f)
	}
	blk, err := f.getBlock(ctx, c)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open %s: %w", c, err)
	}
	switch c.Type() {
	case cid.Raw:
		f.size = int64(len(blk.RawData()))
		f.cur = &fetch{ref: leafRef{cid: c, size: f.size}, data: blk.RawData(), done: closedChan}
	case cid.DagProtobuf:
		info, size, err := decodeFileNode(blk)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("open %s: %w", c, err)
		}
		f.size = size
		f.nodes[c] = info
	default:
		cancel()
		return nil, fmt.Errorf("open %s: codec %#x: %w", c, c.Type(), ErrNotFile)
	}
	f.limit = f.size
	if f.endsCtx != nil && f.size > 0 && c.Type() == cid.DagProtobuf {
		f.prefetchEnds()
	}
	return f, nil
}

// prefetchEnds starts the sticky fetches of the first and last leaves,
// unless they are local already.
func (f *File) prefetchEnds() {
	for _, off := range []int64{0, f.size - 1} {
		ref, err := f.locate(off)
		if err != nil {
			return // the reader will meet the error when it gets there
		}
		if f.local != nil && ref.inline == nil {
			if has, _ := f.local.Has(f.ctx, ref.cid); has {
				continue
			}
		}
		f.startFetchSticky(ref)
	}
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func decodeFileNode(blk blocks.Block) (*fileNodeInfo, int64, error) {
	pn, err := merkledag.DecodeProtobuf(blk.RawData())
	if err != nil {
		return nil, 0, err
	}
	fsn, err := ft.FSNodeFromBytes(pn.Data())
	if err != nil {
		return nil, 0, err
	}
	switch fsn.Type() {
	case ft.TFile, ft.TRaw:
	default:
		return nil, 0, fmt.Errorf("unixfs type %s: %w", fsn.Type(), ErrNotFile)
	}
	links := pn.Links()
	if len(links) != fsn.NumChildren() {
		return nil, 0, fmt.Errorf("corrupt file node: %d links, %d block sizes", len(links), fsn.NumChildren())
	}
	info := &fileNodeInfo{data: fsn.Data()}
	off := int64(len(info.data))
	for i, l := range links {
		// Sizes come from whoever made the node: unchecked, a sum past
		// 2^63-1 wraps to a negative length, which reads as empty.
		sz := fsn.BlockSize(i)
		if sz > uint64(math.MaxInt64-off) {
			return nil, 0, fmt.Errorf("block sizes add up past %d bytes (block %d: %d): %w", int64(math.MaxInt64), i, sz, ErrCorruptFile)
		}
		info.children = append(info.children, childRef{cid: l.Cid, off: off, size: int64(sz)})
		off += int64(sz)
	}
	return info, off, nil
}

// Size is the file's length in bytes.
func (f *File) Size() int64 { return f.size }

// Cid is the file's root CID.
func (f *File) Cid() cid.Cid { return f.root }

// Stats returns fetch counters so far.
func (f *File) Stats() ReadStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// Seek implements io.Seeker.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.size
	default:
		return f.off, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return f.off, errors.New("seek: negative position")
	}
	f.off = offset
	return offset, nil
}

// Read implements io.Reader.
func (f *File) Read(p []byte) (int, error) {
	if f.off >= f.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := f.settle(); err != nil {
		return 0, err
	}
	nr := copy(p, f.cur.data[f.off-f.cur.ref.off:])
	f.off += int64(nr)
	return nr, nil
}

// WriteTo implements io.WriterTo: io.Copy then hands w whole blocks, with
// no intermediate buffer.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for f.off < f.size {
		if err := f.settle(); err != nil {
			return total, err
		}
		nw, err := w.Write(f.cur.data[f.off-f.cur.ref.off:])
		f.off += int64(nw)
		total += int64(nw)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// ReadAt implements io.ReaderAt through Seek and Read; it moves the cursor.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(f, p)
}

// settle makes the leaf under the cursor current, fetching it if needed.
func (f *File) settle() error {
	if f.cur != nil && f.off >= f.cur.ref.off && f.off < f.cur.ref.off+f.cur.ref.size {
		return nil
	}
	return f.moveTo(f.off)
}

// moveTo makes the leaf covering off current, starting fetches ahead of it.
func (f *File) moveTo(off int64) error {
	ref, err := f.locate(off)
	if err != nil {
		return err
	}
	f.growWindow(ref)
	fe := f.startFetch(ref)
	f.prefetch(ref)
	select {
	case <-fe.done:
	case <-f.ctx.Done():
		return fmt.Errorf("read %s: %w", f.root, f.ctx.Err())
	}
	f.mu.Lock()
	delete(f.inflight, ref.off)
	f.mu.Unlock()
	if fe.err != nil {
		return fmt.Errorf("read %s at %d: %w", f.root, off, fe.err)
	}
	if int64(len(fe.data)) != ref.size {
		return fmt.Errorf("read %s at %d: block %s holds %d bytes, parent says %d", f.root, off, ref.cid, len(fe.data), ref.size)
	}
	f.cur = fe
	return nil
}

// minWindow is the read-ahead once the reader has read one leaf in order.
const minWindow = 1 << 20

// growWindow sizes the read-ahead for the move to ref. Asking a peer for
// many blocks at once gets them all at about the same time, since the
// sender sends them side by side: on a 50 Mbit/s link sixteen 1 MiB blocks
// took 2.7 s, and the one the player waited for came last. So after an
// open or a jump only the leaf under the cursor is asked for; every leaf
// then read in order doubles the window, which on loopback reaches 64 MiB
// within a few tens of milliseconds.
func (f *File) growWindow(ref leafRef) {
	switch {
	case f.restart.Swap(false):
		f.window = 0
	case f.cur != nil && ref.off == f.cur.ref.off+f.cur.ref.size:
		f.window = min(max(2*f.window, minWindow), f.readAhead)
		if limit := f.meter.windowCap(); limit > 0 {
			f.window = min(f.window, limit)
		}
	default:
		f.window = 0
	}
}

// dropReadAhead cancels this File's fetches except the nearest one (the
// reader is at or just before it) and makes the window start over. The
// gateway calls it when a player opens the same video elsewhere: a player
// that seeks opens the new range before it drops the old one, and the old
// response's read-ahead would hold up the block now wanted (on a 50 Mbit/s
// link, 2.6 s for the first byte after a seek).
func (f *File) dropReadAhead() {
	f.restart.Store(true)
	f.mu.Lock()
	defer f.mu.Unlock()
	nearest := int64(-1)
	for off, fe := range f.inflight {
		if !fe.sticky && !isDone(fe) && (nearest < 0 || off < nearest) {
			nearest = off
		}
	}
	var cancelled int64
	for off, fe := range f.inflight {
		if fe.sticky || off == nearest || isDone(fe) {
			continue
		}
		fe.cancel()
		delete(f.inflight, off)
		cancelled++
	}
	if cancelled > 0 {
		f.addLocked(ReadStats{CancelledBlocks: cancelled})
	}
}

// prefetch keeps the leaves after ref within the window in flight and
// cancels those outside the full read-ahead.
func (f *File) prefetch(ref leafRef) {
	end := ref.off + ref.size + f.readAhead
	f.mu.Lock()
	var cancelled int64
	for off, fe := range f.inflight {
		if (off < ref.off || off >= end) && !fe.sticky {
			fe.cancel()
			delete(f.inflight, off)
			if !isDone(fe) {
				cancelled++
			}
		}
	}
	if cancelled > 0 {
		f.addLocked(ReadStats{CancelledBlocks: cancelled})
	}
	f.mu.Unlock()
	next := ref.off + ref.size
	end = ref.off + ref.size + f.window
	for next < end && next < f.limit {
		r, err := f.locate(next)
		if err != nil {
			return // the reader will meet the error when it gets there
		}
		f.startFetch(r)
		next = r.off + r.size
	}
}

func isDone(fe *fetch) bool {
	select {
	case <-fe.done:
		return true
	default:
		return false
	}
}

func (f *File) startFetch(ref leafRef) *fetch {
	return f.startFetchCtx(ref, f.ctx, false)
}

func (f *File) startFetchSticky(ref leafRef) {
	f.startFetchCtx(ref, f.endsCtx, true)
}

func (f *File) startFetchCtx(ref leafRef, parent context.Context, sticky bool) *fetch {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fe, ok := f.inflight[ref.off]; ok {
		return fe
	}
	var ctx context.Context
	var cancel context.CancelFunc
	if sticky {
		ctx, cancel = context.WithTimeout(parent, EndsPrefetchTimeout)
	} else {
		ctx, cancel = context.WithCancel(parent)
	}
	fe := &fetch{ref: ref, done: make(chan struct{}), cancel: cancel, sticky: sticky}
	f.inflight[ref.off] = fe
	f.addLocked(ReadStats{MaxInflight: len(f.inflight)})
	if ref.inline != nil || ref.size == 0 {
		fe.data = ref.inline
		close(fe.done)
		return fe
	}
	go func() {
		defer close(fe.done)
		defer cancel()
		local := false
		if f.local != nil {
			local, _ = f.local.Has(ctx, ref.cid)
		}
		// The session lives as long as the request that opened the File;
		// sticky fetches may outlive it.
		get := f.get
		if sticky && f.retry != nil {
			get = f.retry
		}
		if !local && f.meter != nil {
			f.meter.started()
		}
		blk, err := f.getBlockFrom(ctx, get, ref.cid)
		if !local && f.meter != nil {
			n := 0
			if err == nil {
				n = len(blk.RawData())
			}
			f.meter.arrived(n, err == nil, time.Now())
		}
		if err != nil {
			fe.err = err
			return
		}
		fe.data, fe.err = leafData(blk)
		n := int64(len(blk.RawData()))
		d := ReadStats{BlocksFetched: 1, BytesFetched: n, BytesFromPeers: n}
		switch {
		case local:
			d.BytesLocal, d.BytesFromPeers = n, 0
		case f.fromGateway != nil && f.fromGateway(ref.cid):
			d.BytesFromGateways, d.BytesFromPeers = n, 0
		}
		f.add(d)
	}()
	return fe
}

// add counts d in the File's stats and the sink's.
func (f *File) add(d ReadStats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addLocked(d)
}

func (f *File) addLocked(d ReadStats) {
	f.stats.add(d)
	if f.sink != nil {
		f.sink.addReadStats(d)
	}
}

// getBlock fetches c, asking again when nothing arrived within the stall
// wait (doubling each time), until ctx ends.
func (f *File) getBlock(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	return f.getBlockFrom(ctx, f.get, c)
}

func (f *File) getBlockFrom(ctx context.Context, get blockGetter, c cid.Cid) (blocks.Block, error) {
	wait := f.stallWait
	for {
		actx, cancel := context.WithTimeout(ctx, wait)
		blk, err := get.GetBlock(actx, c)
		cancel()
		switch {
		case err == nil:
			return blk, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded):
			return nil, err
		}
		f.add(ReadStats{Retries: 1})
		if f.retry != nil {
			get = f.retry
		}
		wait *= 2
	}
}

// leafData extracts file bytes from a leaf block.
func leafData(blk blocks.Block) ([]byte, error) {
	if blk.Cid().Type() == cid.Raw {
		return blk.RawData(), nil
	}
	info, _, err := decodeFileNode(blk)
	if err != nil {
		return nil, err
	}
	if len(info.children) > 0 {
		return nil, fmt.Errorf("block %s: expected a leaf", blk.Cid())
	}
	return info.data, nil
}

// locate walks down from the root to the leaf covering off, fetching and
// caching internal nodes on the way.
func (f *File) locate(off int64) (leafRef, error) {
	if f.root.Type() == cid.Raw {
		return f.cur.ref, nil
	}
	base := int64(0)
	c := f.root
	for depth := 0; ; depth++ {
		if depth > 64 {
			return leafRef{}, fmt.Errorf("read %s: DAG too deep", f.root)
		}
		info, err := f.node(c)
		if err != nil {
			return leafRef{}, err
		}
		if rel := off - base; rel < int64(len(info.data)) {
			return leafRef{cid: c, off: base, size: int64(len(info.data)), inline: info.data}, nil
		}
		var child *childRef
		for i := range info.children {
			ch := &info.children[i]
			if off-base < ch.off+ch.size {
				child = ch
				break
			}
		}
		if child == nil {
			return leafRef{}, fmt.Errorf("read %s: offset %d beyond node %s", f.root, off, c)
		}
		if child.cid.Type() == cid.Raw || child.size == 0 {
			return leafRef{cid: child.cid, off: base + child.off, size: child.size}, nil
		}
		// A dag-pb child may be a leaf with inline data (files not in our
		// profile) or another internal node; decode it to know. Such
		// leaves are fetched one at a time here, so only raw-leaf files
		// get the parallel read-ahead.
		cinfo, err := f.node(child.cid)
		if err != nil {
			return leafRef{}, err
		}
		if len(cinfo.children) == 0 {
			return leafRef{cid: child.cid, off: base + child.off, size: int64(len(cinfo.data)), inline: cinfo.data}, nil
		}
		base += child.off
		c = child.cid
	}
}

func (f *File) node(c cid.Cid) (*fileNodeInfo, error) {
	if info, ok := f.nodes[c]; ok {
		return info, nil
	}
	blk, err := f.getBlock(f.ctx, c)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.root, err)
	}
	info, _, err := decodeFileNode(blk)
	if err != nil {
		return nil, fmt.Errorf("read %s: node %s: %w", f.root, c, err)
	}
	// Only internal nodes are kept (a few KiB per GiB of file); leaves with
	// inline data would make memory grow with the file.
	if len(info.children) > 0 {
		f.nodes[c] = info
	}
	return info, nil
}

// Close cancels outstanding fetches (except PrefetchEnds'); those still on
// the way count as cancelled.
func (f *File) Close() error {
	f.cancel()
	f.mu.Lock()
	defer f.mu.Unlock()
	var cancelled int64
	for off, fe := range f.inflight {
		if !fe.sticky {
			delete(f.inflight, off)
			if !isDone(fe) {
				cancelled++
			}
		}
	}
	if cancelled > 0 {
		f.addLocked(ReadStats{CancelledBlocks: cancelled})
	}
	return nil
}

var _ io.ReadSeekCloser = (*File)(nil)

// ReadAll reads the whole file c when it is at most max bytes (a poster,
// a metadata file) and refuses it, unread, when it is larger.
func (n *Node) ReadAll(ctx context.Context, c cid.Cid, max int64) ([]byte, error) {
	f, err := n.Open(ctx, c)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Size() > max {
		return nil, fmt.Errorf("read %s: %d bytes, more than the %d expected", c, f.Size(), max)
	}
	return io.ReadAll(io.LimitReader(f, max))
}
