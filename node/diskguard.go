package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
)

// ErrDiskFull means a write was refused because it would have taken the
// free space of the repo's disk below the node's reserve (WithDiskReserve).
// Nothing was stored; what is stored is still served.
var ErrDiskFull = errors.New("disk full")

// DefaultDiskReserve is the free space the node keeps on the repo's disk
// for Badger itself. Badger writes its value log and memtables through
// memory-mapped sparse files, so a write that meets a full disk does not
// fail with ENOSPC: the kernel kills the process with SIGBUS (seen here on
// a full tmpfs: "unexpected fault address … signal SIGBUS" in
// valueLog.write). The reserve covers what Badger writes beyond the
// blocks (memtable flushes, compactions, a value-log rewrite while space
// is reclaimed: up to ~40 MiB) with room to spare.
const DefaultDiskReserve = 64 << 20

// WithDiskReserve sets the free space block writes never take the repo's
// disk below (default DefaultDiskReserve); a write that would is refused
// with ErrDiskFull. It is the last line of defence: the library's quota
// keeper stops fetches well before it, at its free-disk floor, and this
// catches what that floor cannot see coming (another program filling the
// disk while a fetch runs). Zero or less keeps the default.
func WithDiskReserve(bytes int64) Option {
	return func(o *options) { o.diskReserve = bytes }
}

// diskGuard refuses block writes that would take the repo disk's free
// space below the reserve. It asks the file system before every write
// (one statfs, about a microsecond, per block or batch) and counts the
// bytes being written meanwhile, so concurrent writers cannot all pass on
// the same reading.
type diskGuard struct {
	dir     string
	reserve int64
	free    func(dir string) (free, total int64, err error)
	log     *slog.Logger

	inflight atomic.Int64 // bytes admitted and not yet written
	refused  atomic.Int64 // writes refused so far
	warnedAt atomic.Int64 // Unix nanoseconds of the last warning
}

func newDiskGuard(dir string, reserve int64, log *slog.Logger) *diskGuard {
	if reserve <= 0 {
		reserve = DefaultDiskReserve
	}
	return &diskGuard{dir: dir, reserve: reserve, free: freeSpace, log: log}
}

// admit reserves n bytes for a write about to happen; done must be called
// once it has. A disk whose free space cannot be read admits everything:
// refusing all writes over a failed statfs would be worse.
func (g *diskGuard) admit(n int64) (done func(), err error) {
	pending := g.inflight.Add(n)
	free, _, ferr := g.free(g.dir)
	if ferr == nil && free-pending < g.reserve {
		g.inflight.Add(-n)
		g.refused.Add(1)
		if now := time.Now().UnixNano(); now-g.warnedAt.Load() > int64(time.Minute) {
			g.warnedAt.Store(now)
			g.log.Warn("disk almost full: not storing blocks", "free", free, "reserve", g.reserve, "dir", g.dir)
		}
		return nil, fmt.Errorf("%w: %d bytes to store, %d free on the repo's disk, %d kept free",
			ErrDiskFull, n, free, g.reserve)
	}
	return func() { g.inflight.Add(-n) }, nil
}

// freeNow is the disk's free space less what is being written.
func (g *diskGuard) freeNow() (int64, error) {
	free, _, err := g.free(g.dir)
	return free - g.inflight.Load(), err
}

// guardedBlockstore stores a block only when the disk guard admits it.
type guardedBlockstore struct {
	blockstore.Blockstore
	guard *diskGuard
}

func (b guardedBlockstore) Put(ctx context.Context, blk blocks.Block) error {
	done, err := b.guard.admit(int64(len(blk.RawData())))
	if err != nil {
		return err
	}
	defer done()
	return b.Blockstore.Put(ctx, blk)
}

func (b guardedBlockstore) PutMany(ctx context.Context, blks []blocks.Block) error {
	var n int64
	for _, blk := range blks {
		n += int64(len(blk.RawData()))
	}
	done, err := b.guard.admit(n)
	if err != nil {
		return err
	}
	defer done()
	return b.Blockstore.PutMany(ctx, blks)
}

// DiskRefusals counts the block writes refused so far because the repo's
// disk was at its reserve (see ErrDiskFull).
func (n *Node) DiskRefusals() int64 { return n.guard.refused.Load() }
