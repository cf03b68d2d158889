package node

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	mh "github.com/multiformats/go-multihash"

	"github.com/ipfs/boxo/ipld/merkledag"
	ft "github.com/ipfs/boxo/ipld/unixfs"
)

// The unixfs-v1-2025 import profile (IPIP-499): CIDv1, sha2-256, fixed 1 MiB
// chunks stored as raw leaves, balanced DAG with up to 1024 links per node.
const (
	ChunkSize = 1 << 20
	MaxLinks  = 1024
)

// dagPBPrefix is how internal file nodes are addressed in the profile.
var dagPBPrefix = cid.Prefix{Version: 1, Codec: cid.DagProtobuf, MhType: mh.SHA2_256, MhLength: -1}

// ImportResult describes an imported file.
type ImportResult struct {
	Cid  cid.Cid
	Size int64 // bytes of file content
}

// ImportOption tunes one Import call.
type ImportOption func(*importConfig)

type importConfig struct {
	progress  func(done, total int64)
	total     int64
	pin       bool
	chunkSize int
	maxLinks  int
	accept    func(ImportResult) error
}

// ImportProgress reports bytes stored so far and the total (-1 when the
// reader's size is unknown). It is called from the importing goroutine;
// nil reports nothing.
func ImportProgress(fn func(done, total int64)) ImportOption {
	return func(c *importConfig) { c.progress = fn }
}

// ImportSize tells Import the reader's total size for progress reports, when
// the reader cannot say so itself.
func ImportSize(n int64) ImportOption { return func(c *importConfig) { c.total = n } }

// ImportAccept has fn judge the imported file before it is pinned: an
// error from fn fails the import with it and pins nothing (the blocks stay
// for the next GC), so a caller that finds the result wrong (fewer bytes
// than announced, a client gone) leaves no pin behind.
func ImportAccept(fn func(ImportResult) error) ImportOption {
	return func(c *importConfig) { c.accept = fn }
}

// ImportNoPin leaves the imported file unpinned (cache only).
func ImportNoPin() ImportOption { return func(c *importConfig) { c.pin = false } }

// importLayout overrides chunk size and fan-out; tests use it to build deep
// trees from little data.
func importLayout(chunkSize, maxLinks int) ImportOption {
	return func(c *importConfig) { c.chunkSize, c.maxLinks = chunkSize, maxLinks }
}

// Import stores r as a UnixFS file in the unixfs-v1-2025 profile and pins it
// (unless ImportNoPin). The CID equals Kubo's `ipfs add` under that profile.
//
// Memory stays bounded whatever the size: chunks are read, hashed on all
// cores and written to Badger in batches through a pipeline of fixed depth.
// Cancelling ctx stops the import; blocks already written stay unpinned and
// are collected by the next GC.
func (n *Node) Import(ctx context.Context, r io.Reader, opts ...ImportOption) (ImportResult, error) {
	cfg := importConfig{total: -1, pin: true, chunkSize: ChunkSize, maxLinks: MaxLinks}
	if s, ok := r.(interface{ Stat() (os.FileInfo, error) }); ok {
		if fi, err := s.Stat(); err == nil && fi.Mode().IsRegular() {
			cfg.total = fi.Size()
		}
	}
	for _, o := range opts {
		o(&cfg)
	}
	// Hold the pin lock so a concurrent GC cannot delete fresh, not yet
	// pinned blocks.
	defer n.gcLocker.PinLock(ctx).Unlock(ctx)

	res, err := importFile(ctx, r, n.blockstore, cfg)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import: %w", err)
	}
	if cfg.accept != nil {
		if err := cfg.accept(res); err != nil {
			return ImportResult{}, fmt.Errorf("import: %w", err)
		}
	}
	if cfg.pin {
		if err := n.pinRecursive(ctx, res.Cid); err != nil {
			return ImportResult{}, fmt.Errorf("import: %w", err)
		}
		n.indexImported(ctx, res.Cid)
	}
	n.log.Debug("imported", "cid", res.Cid, "bytes", res.Size)
	return res, nil
}

// indexImported indexes a fresh pinned import for demand when the node
// is online, so what peers fetch of it counts from the first block: the
// bitswap server serves it at once, and demand counted before the index
// knows a video stays unattributed for good. Offline, the next Start's
// indexing (the auto-seeding engine's first round) picks it up. A full
// index costs the file its demand count, not its import.
func (n *Node) indexImported(ctx context.Context, c cid.Cid) {
	if n.net.Load() == nil {
		return
	}
	if err := n.IndexVideo(ctx, c); err != nil {
		n.log.Warn("indexing an imported file for demand", "cid", c, "err", err)
	}
}

// blockPutter is what the importer needs from a blockstore.
type blockPutter interface {
	PutMany(ctx context.Context, blks []blocks.Block) error
}

// chunkJob is one chunk moving through the pipeline; done closes once the
// block is built.
type chunkJob struct {
	buf   []byte
	block blocks.Block
	done  chan struct{}
}

func importFile(ctx context.Context, r io.Reader, store blockPutter, cfg importConfig) (ImportResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	workers := runtime.GOMAXPROCS(0)
	const writeBatch = 16
	bufPool := sync.Pool{New: func() any { b := make([]byte, cfg.chunkSize); return &b }}

	// ordered carries jobs in file order; hashing happens out of order on
	// the workers, and the consumer waits on each job's done in turn.
	ordered := make(chan *chunkJob, 2*workers)
	work := make(chan *chunkJob, 2*workers)
	var readErr error
	go func() {
		defer close(ordered)
		defer close(work)
		for first := true; ; first = false {
			bp := bufPool.Get().(*[]byte)
			nr, err := io.ReadFull(r, *bp)
			if nr == 0 && !first && (err == io.EOF || err == io.ErrUnexpectedEOF) {
				bufPool.Put(bp)
				return
			}
			if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
				readErr = fmt.Errorf("read: %w", err)
				return
			}
			job := &chunkJob{buf: (*bp)[:nr], done: make(chan struct{})}
			select {
			case ordered <- job:
			case <-ctx.Done():
				return
			}
			work <- job
			if err != nil { // short read: that was the last chunk
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range work {
				job.block = rawLeaf(job.buf)
				close(job.done)
			}
		}()
	}
	defer wg.Wait()

	// Writes go to Badger on their own goroutine so hashing and writing
	// overlap; the channel's capacity bounds the batches in memory.
	writes := make(chan []blocks.Block, 1)
	writeErr := make(chan error, 1)
	go func() {
		var err error
		for batch := range writes {
			if err == nil {
				err = store.PutMany(ctx, batch)
				if err != nil {
					cancel()
				}
			}
			for _, b := range batch {
				if _, ok := b.(*leafBlock); ok {
					buf := b.RawData()[:cap(b.RawData())]
					bufPool.Put(&buf)
				}
			}
		}
		writeErr <- err
	}()

	b := newBalancedBuilder(cfg.maxLinks)
	var pending []blocks.Block
	var done int64
	flush := func() {
		if len(pending) > 0 {
			writes <- pending
			pending = nil
		}
	}
	emit := func(blk blocks.Block) {
		pending = append(pending, blk)
		if len(pending) >= writeBatch {
			flush()
		}
	}
	var buildErr error
	for job := range ordered {
		select {
		case <-job.done:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		size := int64(len(job.buf))
		if err := b.addLeaf(job.block.Cid(), uint64(size), emit); err != nil {
			buildErr = err
			cancel()
			break
		}
		emit(job.block)
		done += size
		if cfg.progress != nil {
			cfg.progress(done, cfg.total)
		}
	}
	var root cid.Cid
	if buildErr == nil && ctx.Err() == nil && readErr == nil {
		root, buildErr = b.finish(emit)
	}
	flush()
	close(writes)
	werr := <-writeErr
	for range ordered { // let the reader finish when we stopped early
	}
	switch {
	case readErr != nil:
		return ImportResult{}, readErr
	case werr != nil:
		return ImportResult{}, fmt.Errorf("store: %w", werr)
	case buildErr != nil:
		return ImportResult{}, buildErr
	case ctx.Err() != nil:
		return ImportResult{}, ctx.Err()
	}
	if !root.Defined() {
		return ImportResult{}, errors.New("internal: no root")
	}
	return ImportResult{Cid: root, Size: done}, nil
}

// leafBlock marks raw leaves whose buffers go back to the pool once written.
type leafBlock struct{ blocks.BasicBlock }

func rawLeaf(data []byte) blocks.Block {
	sum := sha256.Sum256(data)
	digest, _ := mh.Encode(sum[:], mh.SHA2_256) // cannot fail for sha2-256
	c := cid.NewCidV1(cid.Raw, digest)
	blk, _ := blocks.NewBlockWithCid(data, c) // cid matches by construction
	return &leafBlock{*blk}
}

// link is a child entry of an internal node: its CID, the bytes of file
// content beneath it, and its cumulative DAG size.
type link struct {
	cid      cid.Cid
	fileSize uint64
	dagSize  uint64
}

// balancedBuilder lays leaves out as boxo's balanced layout does, but
// streaming: levels[k] holds the children collected for the open node at
// height k+1. A full level is folded into its parent only when one more
// child arrives, because the root's height depends on whether more data
// follows.
type balancedBuilder struct {
	maxLinks int
	levels   [][]link
}

func newBalancedBuilder(maxLinks int) *balancedBuilder {
	return &balancedBuilder{maxLinks: maxLinks}
}

func (b *balancedBuilder) addLeaf(c cid.Cid, size uint64, emit func(blocks.Block)) error {
	return b.add(0, link{cid: c, fileSize: size, dagSize: size}, emit)
}

func (b *balancedBuilder) add(level int, l link, emit func(blocks.Block)) error {
	if level == len(b.levels) {
		b.levels = append(b.levels, nil)
	}
	if len(b.levels[level]) == b.maxLinks {
		parent, err := b.closeLevel(level, emit)
		if err != nil {
			return err
		}
		if err := b.add(level+1, parent, emit); err != nil {
			return err
		}
	}
	b.levels[level] = append(b.levels[level], l)
	return nil
}

// closeLevel turns the children collected at level into a node, emits it
// and returns the link its parent needs.
func (b *balancedBuilder) closeLevel(level int, emit func(blocks.Block)) (link, error) {
	nd, l, err := fileNode(b.levels[level])
	if err != nil {
		return link{}, err
	}
	emit(nd)
	b.levels[level] = nil
	return l, nil
}

// finish closes every open node bottom-up and returns the root. An empty
// file is a single empty raw leaf, and a one-chunk file is its leaf, as in
// boxo's balanced layout.
func (b *balancedBuilder) finish(emit func(blocks.Block)) (cid.Cid, error) {
	if len(b.levels) == 0 {
		blk := rawLeaf(nil)
		emit(blk)
		return blk.Cid(), nil
	}
	for level := 0; level < len(b.levels)-1; level++ {
		parent, err := b.closeLevel(level, emit)
		if err != nil {
			return cid.Undef, err
		}
		if err := b.add(level+1, parent, emit); err != nil {
			return cid.Undef, err
		}
	}
	top := len(b.levels) - 1
	if top == 0 && len(b.levels[0]) == 1 {
		// A single leaf is the whole file; it was emitted already.
		return b.levels[0][0].cid, nil
	}
	root, err := b.closeLevel(top, emit)
	return root.cid, err
}

// fileNode builds an internal UnixFS file node over children and the link
// to it. The link (its CID and size) is computed here, before the writer
// goroutine sees the node: ProtoNode caches its encoding without a lock.
func fileNode(children []link) (*merkledag.ProtoNode, link, error) {
	fsn := ft.NewFSNode(ft.TFile)
	nd := new(merkledag.ProtoNode)
	if err := nd.SetCidBuilder(dagPBPrefix); err != nil {
		return nil, link{}, err
	}
	var fileSize uint64
	for _, c := range children {
		if err := nd.AddRawLink("", &ipld.Link{Cid: c.cid, Size: c.dagSize}); err != nil {
			return nil, link{}, err
		}
		fsn.AddBlockSize(c.fileSize)
		fileSize += c.fileSize
	}
	data, err := fsn.GetBytes()
	if err != nil {
		return nil, link{}, err
	}
	nd.SetData(data)
	dagSize, err := nd.Size()
	if err != nil {
		return nil, link{}, err
	}
	return nd, link{cid: nd.Cid(), fileSize: fileSize, dagSize: dagSize}, nil
}
