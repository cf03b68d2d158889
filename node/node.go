package node

import (
	"context"
	"errors"
	"fmt"
	goyamux "github.com/libp2p/go-yamux/v5"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/boxo/bitswap"
	bsnet "github.com/ipfs/boxo/bitswap/network/bsnet"
	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/exchange/offline"

	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipns"
	"github.com/ipfs/boxo/namesys"
	"github.com/ipfs/boxo/peering"
	pin "github.com/ipfs/boxo/pinning/pinner"
	"github.com/ipfs/boxo/pinning/pinner/dspinner"
	"github.com/ipfs/boxo/provider"
	badger4 "github.com/ipfs/go-ds-badger4"
	ipld "github.com/ipfs/go-ipld-format"
	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p-kad-dht/dual"
	record "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/ipfs-tube/ipfs-tube/node/gwfetch"
)

// Config says how to run a node. The zero value (plus Repo) is a node on the
// public IPFS network with no bootstrap peers; the app fills Bootstrap with
// the Amino DHT's default bootstrap peers (go-libp2p-kad-dht's
// GetDefaultBootstrapPeerAddrInfos) unless the user says otherwise.
type Config struct {
	// Repo is the repo directory, created on first use.
	Repo string
	// Bootstrap peers join the DHT. Empty means none.
	Bootstrap []peer.AddrInfo
	// Peers are kept connected (reconnected when they drop).
	Peers []peer.AddrInfo
	// Isolated keeps everything on loopback: listen on 127.0.0.1 only, no
	// mDNS, no NAT port mapping, no DNSLink lookups (ErrDNSLinkIsolated),
	// and loopback addresses allowed in the LAN DHT so that loopback
	// nodes (and Kubo's test profile) form one.
	Isolated bool
	// Gateways are the trustless HTTP gateways the fallback asks for blocks
	// no peer delivers in time (the hybrid exchange, ranked by
	// package gwfetch). Empty turns the fallback off.
	Gateways []string
	// UploadLimit caps what the node serves to others, in bytes per
	// second; 0 means unlimited. SetUploadLimit changes it at run time.
	UploadLimit int64
	// DownloadLimit caps what the node fetches for seeding (Pin with
	// PinForSeeding, Open with OpenForSeeding), in bytes per second; 0
	// means unlimited. The user's own fetches never wait on it.
	// SetDownloadLimit changes it at run time.
	DownloadLimit int64
	// Private keeps what the user watches to themself: the node publishes
	// no announcements on the seeding topic (see Announce).
	Private bool
}

// Option tunes New.
type Option func(*options)

type options struct {
	log         *slog.Logger
	announce    AnnounceLimits
	diskReserve int64
}

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Node is an embedded IPFS node. Create it with New, bring it online with
// Start, release it with Close. Import, Open, Pin and GC work before Start,
// on local blocks only.
type Node struct {
	cfg  Config
	log  *slog.Logger
	repo *repo

	ds       *badger4.Datastore
	health   *storageHealth // the first storage failure (Failed)
	watch    *repoWatch     // reports a removed repo folder to health
	unwatch  func()         // stops reporting Badger's flush errors to health
	trim     *pageTrimmer
	guard    *diskGuard    // refuses block writes that would fill the disk
	delivery deliveryMeter // how fast peers deliver, for read-ahead
	// gateways is the HTTP fallback; nil when Config.Gateways is empty.
	gateways   gatewayFetcher
	blockstore blockstore.Blockstore
	gcLocker   blockstore.GCLocker
	pinner     pin.Pinner
	uploads    rateCap // what bitswap and the trustless handler serve
	// downloads caps what seeding fetches (see SetDownloadLimit);
	// seedFetched counts what they fetched.
	downloads   rateCap
	seedFetched atomic.Int64
	// announceLimits bound our announcements and what we take from peers.
	announceLimits AnnounceLimits

	// Before Start, reads see local blocks only.
	offlineServ blockservice.BlockService
	offlineDAG  ipld.DAGService

	// net holds the online parts once Start has finished building them;
	// the atomic pointer makes them safe to read from any goroutine.
	net atomic.Pointer[online]

	started      atomic.Bool
	reachability atomic.Int32
	cancel       context.CancelFunc
	wg           sync.WaitGroup
	closeOnce    sync.Once
	closeErr     error
}

// online is what Start adds: the network and the services on top of it.
type online struct {
	host     host.Host
	dht      *dual.DHT
	bitswap  *bitswap.Bitswap
	exchange *hybridExchange
	gateways *gwfetch.Fetcher // the HTTP fallback; nil when off
	provider provider.System
	names    namesys.NameSystem
	peering  *peering.PeeringService
	mdns     mdns.Service
	bserv    blockservice.BlockService
	dag      ipld.DAGService
	// seedDAG fetches through the download cap (seeding fetches only).
	seedServ blockservice.BlockService
	seedDAG  ipld.DAGService
	gossip   *gossip        // announcements on the seeding topic
	demand   *demandTracker // bitswap's tracer: the server's demand per video
}

// blockService fetches from peers once online, else serves local blocks.
func (n *Node) blockService() blockservice.BlockService {
	if on := n.net.Load(); on != nil {
		return on.bserv
	}
	return n.offlineServ
}

// dagService is blockService's DAG view.
func (n *Node) dagService() ipld.DAGService {
	if on := n.net.Load(); on != nil {
		return on.dag
	}
	return n.offlineDAG
}

// New opens (creating if needed) the repo in cfg.Repo and takes its lock.
// It fails with ErrRepoLocked when another process holds the repo and with
// ErrRepoTooNew when a newer program wrote it.
func New(ctx context.Context, cfg Config, opts ...Option) (*Node, error) {
	o := options{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.Repo == "" {
		return nil, errors.New("node.New: no repo directory")
	}
	r, err := openRepo(cfg.Repo)
	if err != nil {
		return nil, fmt.Errorf("node.New: %w", err)
	}
	health := newStorageHealth(o.log)
	ds, unwatch, err := openDatastore(cfg.Repo, health)
	if err != nil {
		r.close()
		return nil, fmt.Errorf("node.New: %w", err)
	}
	n := &Node{cfg: cfg, log: o.log, repo: r, ds: ds, health: health, unwatch: unwatch, gcLocker: blockstore.NewGCLocker()}
	if n.watch, err = watchRepo(cfg.Repo, health); err != nil {
		ds.Close()
		unwatch()
		r.close()
		return nil, fmt.Errorf("node.New: %w", err)
	}
	n.announceLimits = o.announce.withDefaults()
	n.trim = newPageTrimmer(filepath.Join(cfg.Repo, datastoreDir), o.log)
	n.guard = newDiskGuard(cfg.Repo, o.diskReserve, o.log)
	// Identity CIDs carry their data inline; the id store answers them
	// without touching Badger.
	// Every read goes through the walk bounds (see walkbound.go): reads
	// under a context that carries a walk budget are charged to it.
	n.blockstore = walkBoundedBlockstore{blockstore.NewIdStore(guardedBlockstore{
		trimmingBlockstore{blockstore.NewBlockstore(ds), n.trim}, n.guard})}
	n.offlineServ = blockservice.New(n.blockstore, offline.Exchange(n.blockstore))
	n.offlineDAG = merkledag.NewDAGService(n.offlineServ)
	n.pinner, err = dspinner.New(ctx, ds, n.offlineDAG)
	if err != nil {
		n.closeStores()
		return nil, fmt.Errorf("node.New: pins: %w", err)
	}
	return n, nil
}

// Start brings the node online: libp2p host, DHT, bitswap, providing, IPNS.
// Call it once. Other methods may run meanwhile (the app shows its window
// while the node starts); until Start returns they see local blocks only.
func (n *Node) Start(ctx context.Context) error {
	if n.started.Swap(true) {
		return errors.New("node.Start: already started")
	}
	life, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	on := &online{}
	if err := n.startNetwork(ctx, life, on); err != nil {
		cancel()
		on.close()
		return fmt.Errorf("node.Start: %w", err)
	}
	n.net.Store(on)
	return nil
}

func (n *Node) startNetwork(ctx, life context.Context, on *online) error {
	h, err := n.newHost(on)
	if err != nil {
		return err
	}
	on.host = h
	n.watchReachability(life, h)
	if on.gossip, err = n.startGossip(life, h); err != nil {
		return fmt.Errorf("gossip: %w", err)
	}

	validator := record.NamespacedValidator{
		"pk":   record.PublicKeyValidator{},
		"ipns": ipns.Validator{KeyBook: h.Peerstore()},
	}
	mode := dht.ModeAuto
	lanOpts := []dht.Option{}
	if n.cfg.Isolated {
		// Loopback nodes never look public, so auto mode would leave every
		// one of them a client and no DHT would form.
		mode = dht.ModeServer
		lanOpts = append(lanOpts, dht.AddressFilter(nil))
	}
	on.dht, err = dual.New(h,
		dual.DHTOption(
			dht.Mode(mode),
			dht.Datastore(n.ds),
			dht.Validator(validator),
			dht.Concurrency(10),
		),
		dual.WanDHTOption(dht.BootstrapPeers(n.cfg.Bootstrap...)),
		dual.LanDHTOption(lanOpts...),
	)
	if err != nil {
		return fmt.Errorf("dht: %w", err)
	}

	// Only the server's block messages wait on the upload cap; the
	// client's wantlists (own playback) never do.
	bsNetwork := capBitswapUploads(bsnet.NewFromIpfsHost(h), n.uploadBucket())
	on.demand = newDemandTracker()
	on.bitswap = bitswap.New(life, bsNetwork, on.dht, n.blockstore,
		bitswap.WithTracer(on.demand),
		// Few blocks committed to sending per peer at a time: the rest wait
		// in the queue, where priorities and cancels still apply (a viewer
		// who seeks cancels what it asked for before). 32 MiB fetched no
		// faster on loopback.
		bitswap.MaxOutstandingBytesPerPeer(4<<20),
		bitswap.ProviderSearchDelay(time.Second),
		bitswap.SetSendDontHaves(true),
		bitswap.SetSimulateDontHavesOnTimeout(false),
		// More blocks read and sent at once per peer: fetches are bound
		// by per-block latency, not bandwidth.
		bitswap.TaskWorkerCount(32),
	)
	on.gateways, err = startGateways(life, n.cfg, n)
	if err != nil {
		return err
	}
	var fallback gatewayFetcher // a nil *Fetcher must stay a nil interface
	if on.gateways != nil {
		fallback = on.gateways
	}
	on.exchange = newHybridExchange(on.bitswap, fallback, func() int { return len(h.Network().Peers()) })
	on.bserv = blockservice.New(n.blockstore, on.exchange)
	on.dag = merkledag.NewDAGService(on.bserv)
	on.seedServ = blockservice.New(n.blockstore, newSeedingExchange(on.exchange, n.downloadBucket(), &n.seedFetched))
	on.seedDAG = merkledag.NewDAGService(on.seedServ)

	on.names, err = namesys.NewNameSystem(on.dht, n.nameSystemOptions()...)
	if err != nil {
		return fmt.Errorf("namesys: %w", err)
	}
	on.provider, err = provider.New(n.ds,
		provider.Online(on.dht),
		provider.KeyProvider(n.pinnedRoots),
		provider.ReproviderInterval(22*time.Hour),
	)
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}

	on.peering = peering.NewPeeringService(h)
	for _, p := range n.cfg.Peers {
		on.peering.AddPeer(p)
	}
	if err := on.peering.Start(); err != nil {
		return fmt.Errorf("peering: %w", err)
	}
	if !n.cfg.Isolated {
		on.mdns = mdns.NewMdnsService(h, "", mdnsNotifee{n, h})
		if err := on.mdns.Start(); err != nil {
			n.log.Warn("mDNS discovery off", "err", err)
			on.mdns = nil
		}
	}
	// Connect to bootstrap peers and explicit peers before the DHT's first
	// refresh, so a fresh node is useful at once.
	n.connectAll(ctx, h, append(append([]peer.AddrInfo{}, n.cfg.Bootstrap...), n.cfg.Peers...))
	if err := on.dht.Bootstrap(life); err != nil {
		return fmt.Errorf("dht bootstrap: %w", err)
	}
	n.log.Info("node started", "peer", h.ID(), "addrs", h.Addrs())
	return nil
}

func (n *Node) newHost(on *online) (host.Host, error) {
	listenHost4, listenHost6 := "0.0.0.0", "::"
	if n.cfg.Isolated {
		listenHost4, listenHost6 = "127.0.0.1", ""
	}
	tcpPort, udpPort := n.repo.cfg.TCPPort, n.repo.cfg.UDPPort
	if !portFree("tcp", listenHost4, tcpPort) {
		n.log.Warn("swarm TCP port taken, using a random one", "port", tcpPort)
		tcpPort = 0
	}
	if !portFree("udp", listenHost4, udpPort) {
		n.log.Warn("swarm UDP port taken, using a random one", "port", udpPort)
		udpPort = 0
	}
	listen := []string{
		fmt.Sprintf("/ip4/%s/tcp/%d", listenHost4, tcpPort),
		fmt.Sprintf("/ip4/%s/udp/%d/quic-v1", listenHost4, udpPort),
	}
	if listenHost6 != "" {
		listen = append(listen,
			fmt.Sprintf("/ip6/%s/tcp/%d", listenHost6, tcpPort),
			fmt.Sprintf("/ip6/%s/udp/%d/quic-v1", listenHost6, udpPort),
		)
	}

	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
	if err != nil {
		return nil, fmt.Errorf("resource manager: %w", err)
	}
	cm, err := connmgr.NewConnManager(100, 400, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("connection manager: %w", err)
	}
	opts := []libp2p.Option{
		libp2p.Identity(n.repo.key),
		libp2p.ListenAddrStrings(listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		// TLS first: its AES-GCM runs on the CPU's AES instructions and
		// costs a fraction of Noise's ChaCha20-Poly1305 per byte, which
		// shows at video bit rates (Kubo prefers TLS too).
		libp2p.Security(libp2ptls.ID, libp2ptls.New),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, muxer()),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.UserAgent("ipfs-tube/" + Version),
		libp2p.EnableRelay(),
		libp2p.EnableHolePunching(),
		libp2p.EnableAutoNATv2(),
		libp2p.EnableNATService(),
	}
	if !n.cfg.Isolated {
		opts = append(opts,
			libp2p.NATPortMap(),
			libp2p.EnableAutoRelayWithPeerSource(on.relayCandidates),
		)
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("libp2p host: %w", err)
	}
	return h, nil
}

// relayCandidates offers DHT routing-table peers as relay candidates to
// AutoRelay, for nodes behind NATs that hole punching cannot cross.
func (on *online) relayCandidates(ctx context.Context, num int) <-chan peer.AddrInfo {
	out := make(chan peer.AddrInfo)
	go func() {
		defer close(out)
		if on.dht == nil {
			return
		}
		for _, id := range on.dht.WAN.RoutingTable().ListPeers() {
			if num == 0 {
				return
			}
			ai := on.host.Peerstore().PeerInfo(id)
			if len(ai.Addrs) == 0 {
				continue
			}
			select {
			case out <- ai:
				num--
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

type mdnsNotifee struct {
	n *Node
	h host.Host
}

func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	if ai.ID == m.h.ID() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.h.Connect(ctx, ai); err != nil {
		m.n.log.Debug("mDNS peer unreachable", "peer", ai.ID, "err", err)
	}
}

func (n *Node) connectAll(ctx context.Context, h host.Host, peers []peer.AddrInfo) {
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			if err := h.Connect(cctx, p); err != nil {
				n.log.Warn("could not connect", "peer", p.ID, "err", err)
			}
		}()
	}
	wg.Wait()
}

func (n *Node) watchReachability(ctx context.Context, h host.Host) {
	sub, err := h.EventBus().Subscribe(new(event.EvtLocalReachabilityChanged))
	if err != nil {
		n.log.Warn("cannot watch reachability", "err", err)
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.Out():
				if !ok {
					return
				}
				r := ev.(event.EvtLocalReachabilityChanged).Reachability
				n.reachability.Store(int32(r))
				n.log.Info("reachability changed", "reachability", r.String())
			}
		}
	}()
}

// Reachability is what AutoNAT concluded about this node: public (others
// can dial it), private (behind NAT; relays and hole punching help) or
// unknown.
func (n *Node) Reachability() network.Reachability {
	return network.Reachability(n.reachability.Load())
}

// ID is the node's peer ID.
func (n *Node) ID() peer.ID {
	id, _ := peer.IDFromPrivateKey(n.repo.key)
	return id
}

// Host is the libp2p host, nil before Start.
func (n *Node) Host() host.Host {
	if on := n.net.Load(); on != nil {
		return on.host
	}
	return nil
}

// Addrs are the node's listen addresses with its peer ID
// (/ip4/…/tcp/PORT/p2p/PEERID), nil before Start.
func (n *Node) Addrs() []ma.Multiaddr {
	h := n.Host()
	if h == nil {
		return nil
	}
	addrs, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
	if err != nil {
		return nil
	}
	return addrs
}

// Connect dials a peer and keeps it in the connection manager's good books.
func (n *Node) Connect(ctx context.Context, ai peer.AddrInfo) error {
	h := n.Host()
	if h == nil {
		return errors.New("connect: node not started")
	}
	if err := h.Connect(ctx, ai); err != nil {
		return fmt.Errorf("connect %s: %w", ai.ID, err)
	}
	h.ConnManager().Protect(ai.ID, "explicit")
	return nil
}

// Peers lists connected peers.
func (n *Node) Peers() []peer.ID {
	h := n.Host()
	if h == nil {
		return nil
	}
	return h.Network().Peers()
}

// RepoDir is the repo directory.
func (n *Node) RepoDir() string { return n.cfg.Repo }

// Close stops the node and releases the repo. It is safe to call twice.
// Once the storage has failed (Failed), it waits at most failedCloseWait
// and returns the failure: what is still stuck stays behind, and the
// process is expected to end.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		done := make(chan error, 1)
		go func() { done <- n.closeAll() }()
		select {
		case n.closeErr = <-done:
			return
		case <-n.health.failed:
		}
		select {
		case n.closeErr = <-done:
		case <-time.After(failedCloseWait):
			n.closeErr = fmt.Errorf("node.Close: gave up after %s: %w", failedCloseWait, n.Failure())
		}
	})
	return n.closeErr
}

func (n *Node) closeAll() error {
	var errs []error
	if n.cancel != nil {
		n.cancel()
	}
	if on := n.net.Load(); on != nil {
		errs = append(errs, on.close())
	}
	n.wg.Wait()
	if err := n.closeStores(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (n *Node) closeStores() error {
	var err error
	if n.pinner != nil {
		err = n.pinner.Flush(context.Background())
	}
	n.trim.close()
	err = errors.Join(err, n.ds.Close())
	n.unwatch()
	n.watch.close()
	n.repo.close()
	return err
}

// Version of this program, reported in the libp2p user agent.
var Version = "0.1.0-dev"

// close stops whatever parts were built, newest first.
func (on *online) close() error {
	var closers []io.Closer
	if on.mdns != nil {
		closers = append(closers, on.mdns)
	}
	if on.provider != nil {
		closers = append(closers, on.provider)
	}
	if on.bitswap != nil {
		closers = append(closers, on.bitswap)
	}
	if on.gateways != nil {
		closers = append(closers, on.gateways)
	}
	if on.dht != nil {
		closers = append(closers, on.dht)
	}
	if on.peering != nil {
		on.peering.Stop()
	}
	if on.host != nil {
		closers = append(closers, on.host)
	}
	var errs []error
	for _, c := range closers {
		if err := c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// muxer is yamux with a larger initial stream window. Bitswap servers send
// each 1 MiB block on a new stream; with yamux's 256 KiB start every block
// waited for several window updates, which on a busy machine dominated
// fetch time.
func muxer() *yamux.Transport {
	cfg := *(*goyamux.Config)(yamux.DefaultTransport)
	cfg.InitialStreamWindowSize = 2 << 20
	return (*yamux.Transport)(&cfg)
}
