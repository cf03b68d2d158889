package node

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// trimEvery is how many bytes of blocks may pass through the blockstore
// between two trims. Badger maps every value-log file into memory, so each
// block written or read leaves its pages resident in this process: without
// trimming, the resident size grows by all the video streamed. Trims cost
// a read of /proc/self/maps and one madvise per mapped file, which is
// cheap next to 8 MiB of block traffic, and trimming every 8 MiB keeps the
// growth lower than every 32 MiB did.
const trimEvery = 8 << 20

// pageTrimmer gives the datastore's mapped pages back to the kernel after
// every trimEvery bytes of block traffic. The pages stay in the page cache
// or on disk; the process just stops holding them (see releaseMappedPages).
type pageTrimmer struct {
	dir     string
	log     *slog.Logger
	pending atomic.Int64
	trims   atomic.Int64
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func newPageTrimmer(dir string, log *slog.Logger) *pageTrimmer {
	// /proc/self/maps names files by their absolute, resolved path: a
	// relative repo (--repo ./r) matched nothing, so nothing was trimmed.
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	t := &pageTrimmer{dir: dir, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go t.run()
	return t
}

// moved records n bytes of block traffic, waking the trimmer when enough
// has passed. It never blocks the caller.
func (t *pageTrimmer) moved(n int) {
	if t.pending.Add(int64(n)) < trimEvery {
		return
	}
	t.pending.Store(0)
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

func (t *pageTrimmer) run() {
	defer close(t.done)
	warned := false
	for {
		select {
		case <-t.stop:
			return
		case <-t.kick:
			err := releaseMappedPages(t.dir)
			t.trims.Add(1)
			if err != nil && !warned {
				warned = true
				t.log.Warn("cannot release the datastore's mapped pages; resident memory may grow with the data moved", "err", err)
			}
		}
	}
}

func (t *pageTrimmer) close() {
	t.once.Do(func() { close(t.stop) })
	<-t.done
}

// trimmingBlockstore counts the block bytes that go through Badger's
// mappings for the pageTrimmer.
type trimmingBlockstore struct {
	blockstore.Blockstore
	trim *pageTrimmer
}

func (b trimmingBlockstore) Put(ctx context.Context, blk blocks.Block) error {
	b.trim.moved(len(blk.RawData()))
	return b.Blockstore.Put(ctx, blk)
}

func (b trimmingBlockstore) PutMany(ctx context.Context, blks []blocks.Block) error {
	n := 0
	for _, blk := range blks {
		n += len(blk.RawData())
	}
	b.trim.moved(n)
	return b.Blockstore.PutMany(ctx, blks)
}

func (b trimmingBlockstore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	blk, err := b.Blockstore.Get(ctx, c)
	if err == nil {
		b.trim.moved(len(blk.RawData()))
	}
	return blk, err
}
