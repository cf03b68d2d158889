package node

import (
	"context"
	"sync/atomic"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/exchange"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// SetDownloadLimit caps what the node fetches for seeding (Pin with
// PinForSeeding, Open with OpenForSeeding) at bytesPerSecond; 0 or less
// lifts the cap. The user's own fetches (playback, cat, get, a user's pin)
// never wait on it. It takes effect at once, for fetches under way too,
// and works before Start.
func (n *Node) SetDownloadLimit(bytesPerSecond int64) {
	n.downloadBucket().setRate(bytesPerSecond)
	n.log.Info("seeding download limit set", "bytes_per_second", max(bytesPerSecond, 0))
}

// DownloadLimit is the current cap on seeding fetches in bytes per
// second; 0 means unlimited.
func (n *Node) DownloadLimit() int64 { return n.downloadBucket().limit() }

// BytesFetchedForSeeding is how many block bytes seeding fetches brought
// from the network since the node started (local blocks cost nothing).
func (n *Node) BytesFetchedForSeeding() int64 { return n.seedFetched.Load() }

// downloadBucket is the bucket seeding fetches draw from, set up from
// Config.DownloadLimit on first use.
func (n *Node) downloadBucket() *tokenBucket { return n.downloads.bucketAt(n.cfg.DownloadLimit) }

// seedFetchConcurrency is how many blocks one seeding pin asks for at
// once (boxo's FetchGraph default is 32): it is background work, so it
// leaves the user's playback most of the peers' attention, and 8 blocks
// in flight still keep a fetch fast (8 MiB per round trip).
const seedFetchConcurrency = 8

// PinOption tunes Pin.
type PinOption func(*pinOptions)

type pinOptions struct{ seeding bool }

// PinForSeeding marks a pin the node makes on its own to seed (the
// auto-seeding engine's), not one the user asked for: the blocks it
// fetches draw from the download cap (SetDownloadLimit), at most
// seedFetchConcurrency at a time. Local blocks cost nothing.
func PinForSeeding() PinOption { return func(o *pinOptions) { o.seeding = true } }

// OpenForSeeding makes a File's fetches draw from the download cap, like
// PinForSeeding: for background reads (the auto-seeding engine learning
// a video's size), never for the user's playback.
func OpenForSeeding() FileOption { return func(f *File) { f.seeding = true } }

// seedingServices are the block and DAG services seeding fetches go
// through: the node's exchange behind the download cap. Offline they are
// the local ones.
func (n *Node) seedingServices() (blockservice.BlockService, ipld.DAGService) {
	if on := n.net.Load(); on != nil {
		return on.seedServ, on.seedDAG
	}
	return n.offlineServ, n.offlineDAG
}

// seedingExchange puts the download cap in front of the node's exchange.
// The block service asks it only for blocks that are not local. Each
// request first takes tokens for a whole leaf (payAhead), then asks the
// exchange, then settles: a larger block goes into debt that later
// requests wait off, a smaller one or a failure gives the rest back. So
// no request leaves before its bytes are paid for, and over any window
// the bytes fetched follow the rate within the blocks in flight. Paying
// for less (the last block's size, say) would let the leaves that follow
// a small root all go out at once, far ahead of the rate.
type seedingExchange struct {
	// wrappedSession serves GetBlock and GetBlocks outside a session.
	wrappedSession
	inner   exchange.SessionExchange
	bucket  *tokenBucket
	fetched *atomic.Int64
}

// payAhead is what a request pays before its block arrives: a leaf in the
// unixfs-v1-2025 profile (1 MiB), the largest block in most DAGs.
const payAhead = 1 << 20

var _ exchange.SessionExchange = (*seedingExchange)(nil)

func newSeedingExchange(inner exchange.SessionExchange, bucket *tokenBucket, fetched *atomic.Int64) *seedingExchange {
	s := &seedingExchange{inner: inner, bucket: bucket, fetched: fetched}
	s.wrappedSession = wrappedSession{inner: inner, get: s.get, getMany: s.getMany}
	return s
}

func (s *seedingExchange) NotifyNewBlocks(ctx context.Context, blks ...blocks.Block) error {
	return s.inner.NotifyNewBlocks(ctx, blks...)
}

// Close leaves the node's exchange open: the node closes it.
func (s *seedingExchange) Close() error { return nil }

func (s *seedingExchange) NewSession(ctx context.Context) exchange.Fetcher {
	return &wrappedSession{inner: s.inner.NewSession(ctx), get: s.get, getMany: s.getMany}
}

// get pays for c, fetches it from f and settles the difference.
func (s *seedingExchange) get(ctx context.Context, c cid.Cid, f exchange.Fetcher) (blocks.Block, error) {
	const paid = payAhead
	if err := s.bucket.take(ctx, paid); err != nil {
		return nil, err
	}
	blk, err := f.GetBlock(ctx, c)
	if err != nil {
		s.bucket.giveBack(paid)
		return nil, err
	}
	size := len(blk.RawData())
	if size > paid {
		s.bucket.owe(size - paid)
	} else {
		s.bucket.giveBack(paid - size)
	}
	s.fetched.Add(int64(size))
	return blk, nil
}

// getMany fetches cids one after another: the cap, not parallelism, sets
// a seeding fetch's pace (FetchGraph asks block by block anyway).
func (s *seedingExchange) getMany(ctx context.Context, cids []cid.Cid, f exchange.Fetcher) (<-chan blocks.Block, error) {
	out := make(chan blocks.Block)
	go func() {
		defer close(out)
		for _, c := range cids {
			blk, err := s.get(ctx, c, f)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				continue // a block nobody has leaves a gap, as in bitswap
			}
			select {
			case out <- blk:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
