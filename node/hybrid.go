package node

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/boxo/exchange"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// Peers first, gateways when peers are slow: the bounds of the deadline
// after which a block still missing from bitswap is also asked of the
// gateways. The deadline follows 4× the smoothed time peers take to
// deliver a block, so a healthy swarm never touches a gateway and a stalled
// one gives way within about a second.
const (
	minPeerDeadline     = 250 * time.Millisecond
	maxPeerDeadline     = 2 * time.Second
	initialPeerDeadline = time.Second
	// getBlocksParallel bounds the blocks one GetBlocks call races at once.
	getBlocksParallel = 16
)

// gatewayFetcher is the HTTP side of the exchange: verified blocks from
// the best of the configured gateways (gwfetch.Fetcher).
type gatewayFetcher interface {
	Fetch(ctx context.Context, c cid.Cid) (blocks.Block, error)
}

// hybridExchange asks bitswap for every block, and the gateways too when
// no peer has delivered it within the peer deadline (at once when no peer
// is connected). The first copy wins and the other request is cancelled;
// a gateway's block is checked against its CID by the fetcher, and the
// blockservice stores it and announces it like any other. Every retrieval
// path (playback, cat, get, pins) goes through this exchange.
type hybridExchange struct {
	peers     exchange.SessionExchange
	gw        gatewayFetcher // nil: peers only
	connected func() int

	// peerLatency is the smoothed time from asking bitswap to a block
	// arriving, in nanoseconds; 0 until the first block.
	peerLatency atomic.Int64

	fromPeers    atomic.Int64
	fromGateways atomic.Int64

	// wonByGateway holds the blocks the gateways delivered until a File
	// accounts for them (tookFromGateway), so its stats tell gateway bytes
	// from peer bytes. Bounded: blocks no File reads (a pin's walk) would
	// otherwise pile up.
	wonMu        sync.Mutex
	wonByGateway map[cid.Cid]struct{}
}

// maxWonByGateway bounds wonByGateway: far more than a reader has in
// flight.
const maxWonByGateway = 4096

var _ exchange.SessionExchange = (*hybridExchange)(nil)

func newHybridExchange(peers exchange.SessionExchange, gw gatewayFetcher, connected func() int) *hybridExchange {
	return &hybridExchange{peers: peers, gw: gw, connected: connected, wonByGateway: map[cid.Cid]struct{}{}}
}

func (h *hybridExchange) GetBlock(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	return h.race(ctx, c, h.peers)
}

func (h *hybridExchange) GetBlocks(ctx context.Context, cids []cid.Cid) (<-chan blocks.Block, error) {
	return h.getBlocks(ctx, cids, h.peers)
}

func (h *hybridExchange) NotifyNewBlocks(ctx context.Context, blks ...blocks.Block) error {
	return h.peers.NotifyNewBlocks(ctx, blks...)
}

// Close closes bitswap; the node closes the gateway fetcher.
func (h *hybridExchange) Close() error { return h.peers.Close() }

func (h *hybridExchange) NewSession(ctx context.Context) exchange.Fetcher {
	return &wrappedSession{inner: h.peers.NewSession(ctx), get: h.race, getMany: h.getBlocks}
}

// wrappedSession is a session of an exchange that wraps another (the
// hybrid one over bitswap, the seeding one over the hybrid): its fetches
// are the wrapper's own, run against a session of the exchange beneath.
type wrappedSession struct {
	inner   exchange.Fetcher
	get     func(context.Context, cid.Cid, exchange.Fetcher) (blocks.Block, error)
	getMany func(context.Context, []cid.Cid, exchange.Fetcher) (<-chan blocks.Block, error)
}

func (s *wrappedSession) GetBlock(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	return s.get(ctx, c, s.inner)
}

func (s *wrappedSession) GetBlocks(ctx context.Context, cids []cid.Cid) (<-chan blocks.Block, error) {
	return s.getMany(ctx, cids, s.inner)
}

// getBlocks races each block on its own, a bounded number at a time, and
// sends them in arrival order; the channel closes when all are in or ctx
// ends.
func (h *hybridExchange) getBlocks(ctx context.Context, cids []cid.Cid, peers exchange.Fetcher) (<-chan blocks.Block, error) {
	if h.gw == nil {
		return peers.GetBlocks(ctx, cids)
	}
	out := make(chan blocks.Block)
	go func() {
		defer close(out)
		sem := make(chan struct{}, getBlocksParallel)
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, c := range cids {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				blk, err := h.race(ctx, c, peers)
				if err != nil {
					return
				}
				select {
				case out <- blk:
				case <-ctx.Done():
				}
			}()
		}
	}()
	return out, nil
}

type raceResult struct {
	blk     blocks.Block
	err     error
	gateway bool
}

// race gets c from peers, and from the gateways once the peer deadline
// passes or peers fail; the first block wins.
func (h *hybridExchange) race(ctx context.Context, c cid.Cid, peers exchange.Fetcher) (blocks.Block, error) {
	if h.gw == nil {
		return peers.GetBlock(ctx, c)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan raceResult, 2)
	start := time.Now()
	go func() {
		blk, err := peers.GetBlock(ctx, c)
		results <- raceResult{blk: blk, err: err}
	}()
	pending, asked := 1, false
	askGateways := func() {
		if asked {
			return
		}
		asked = true
		pending++
		go func() {
			blk, err := h.gw.Fetch(ctx, c)
			results <- raceResult{blk: blk, err: err, gateway: true}
		}()
	}
	timer := time.NewTimer(h.peerDeadline())
	defer timer.Stop()
	var firstErr error
	for {
		select {
		case <-timer.C:
			askGateways()
		case r := <-results:
			pending--
			if r.err == nil {
				h.delivered(r, time.Since(start))
				return r.blk, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if firstErr == nil {
				firstErr = r.err
			}
			if !r.gateway {
				askGateways() // bitswap gave up: no need to wait for the deadline
			}
			if pending == 0 {
				return nil, firstErr
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// delivered counts a won race and, for peers, updates the latency the
// deadline follows.
func (h *hybridExchange) delivered(r raceResult, took time.Duration) {
	n := int64(len(r.blk.RawData()))
	if r.gateway {
		h.fromGateways.Add(n)
		h.wonMu.Lock()
		if len(h.wonByGateway) >= maxWonByGateway {
			clear(h.wonByGateway)
		}
		h.wonByGateway[r.blk.Cid()] = struct{}{}
		h.wonMu.Unlock()
		return
	}
	h.fromPeers.Add(n)
	for {
		old := h.peerLatency.Load()
		next := int64(took)
		if old != 0 {
			next = (old*7 + int64(took)) / 8
		}
		if h.peerLatency.CompareAndSwap(old, next) {
			return
		}
	}
}

// peerDeadline is how long a block may take from peers before the
// gateways are asked too: at once with no peer connected, else 4× the
// smoothed peer latency within [minPeerDeadline, maxPeerDeadline].
func (h *hybridExchange) peerDeadline() time.Duration {
	if h.connected != nil && h.connected() == 0 {
		return 0
	}
	lat := time.Duration(h.peerLatency.Load())
	if lat == 0 {
		return initialPeerDeadline
	}
	return min(max(4*lat, minPeerDeadline), maxPeerDeadline)
}

// tookFromGateway reports (once) whether the gateways delivered c.
func (h *hybridExchange) tookFromGateway(c cid.Cid) bool {
	h.wonMu.Lock()
	defer h.wonMu.Unlock()
	_, ok := h.wonByGateway[c]
	delete(h.wonByGateway, c)
	return ok
}

// tookFromGateway reports whether the gateways delivered c (see
// hybridExchange.tookFromGateway); false while offline.
func (n *Node) tookFromGateway(c cid.Cid) bool {
	on := n.net.Load()
	return on != nil && on.exchange.tookFromGateway(c)
}
