// Package node is IPFS-Tube's embedded IPFS node: a libp2p host (TCP and QUIC,
// Noise and TLS, yamux) with NAT traversal, the Amino DHT, bitswap over a
// Badger blockstore, a persistent pin set, garbage collection, providing of
// pinned roots, IPNS, and UnixFS import and random-access reading in the
// unixfs-v1-2025 profile.
//
// It never imports fyne or mpv; the app asks it for bytes.
//
// # Usage
//
//	n, err := node.New(ctx, node.Config{Repo: dir}, node.WithIsolated())
//	if err != nil { ... }
//	if err := n.Start(ctx); err != nil { ... }
//	defer n.Close()
//
//	res, err := n.Import(ctx, file, node.ImportProgress(func(done, total int64) { ... }))
//	r, err := n.Open(ctx, res.Cid) // io.ReadSeeker over the file
//
//	gw, err := n.StartGateway(ctx) // loopback HTTP for the player
//	defer gw.Close()
//	player.Load(ctx, gw.URL(videoOrDirCid))
//	cached, err := n.LocalRanges(ctx, fileCid) // for the seek bar
//
//	// An upload: the file, then a directory with poster.jpg and video.json.
//	dir, err := n.PublishVideo(ctx, res.Cid, "talk.mp4", posterJPEG, node.VideoMetadata{Title: "My talk"})
//
// # Streaming gateway
//
// StartGateway serves the node's files to a local player over HTTP on
// 127.0.0.1 at a random port: boxo's gateway handler with deserialized
// responses, except that file responses (whole or a byte range) are read
// through a File. A range request fetches only the leaves under the range
// plus a read-ahead window (GatewayReadAheadSeconds of video at its bit
// rate, 4 to 16 blocks; GatewayReadAhead fixes it), and every open also
// fetches the file's first and last leaves at once (an MP4 whose index is
// at the end). A player seeks by opening a new range request and dropping
// the old one; dropping a request cancels its read-ahead.
//
// Range headers are parsed here before boxo's handler sees them (RFC 9110
// §14.1.1): an end past the file is clamped to its last byte, a range
// set of only zero-length suffixes ("bytes=-0") gets 416 Range Not
// Satisfiable, and positions past int64 lie past any file. See
// guardRanges.
//
// The gateway trusts nothing but its own URLs: the first path segment is
// a random token made per run, the Host header must name the loopback
// address it listens on (against DNS rebinding), only GET and HEAD of
// /ipfs/ paths are answered, and no CORS header is sent, so a web page in
// a browser can neither read from it nor make it fetch.
//
// # Video directories
//
// A video may be published as a directory CID holding the video file, a
// poster image and a metadata file named video.json (MetadataFile):
//
//	{"version":1,"title":"My talk","description":"…","video":"talk.mp4","cid":"bafy…",
//	 "poster":"poster.jpg","duration_s":1234.5,"width":1920,"height":1080,"mime":"video/mp4"}
//
// version is required (1); video and poster are entry names in the same
// directory (no slash, not "." or ".."); cid, when given, must be the CID
// of the entry video names (the file CID is the video's identity
// everywhere); the other fields are optional, and when given duration_s
// lies in [0, 10^9], width and height are not negative and mime parses
// as a media type. Readers
// ignore fields they do not know and refuse a newer version. ResolveVideo
// (and the gateway, for a directory URL) plays the file the metadata
// names; without metadata, the directory's only video file, else its
// largest (videos recognised by extension: mp4 m4v mkv webm mov avi ogv
// ts m2ts mts mpg mpeg wmv flv 3gp). No video gives ErrNoVideo; metadata
// that is malformed, newer, names a missing file or the wrong cid gives
// ErrBadMetadata.
//
// # Upload rate cap
//
// Config.UploadLimit (or SetUploadLimit at run time) caps what this node
// serves to others: block bytes bitswap sends and response bytes of the
// trustless gateway handler draw from one token bucket. What the node
// fetches for itself (the user's playback) never waits on it.
//
// Bitswap's client and server share one network, but only the server ever
// puts blocks into a message: the client sends wantlists. So the cap wraps
// the network and makes each outgoing message wait for as many tokens as
// it carries block bytes; wantlists, HAVEs and DONT_HAVEs carry none and
// pass at once. Waiting happens before the send, so bsnet's send timeout
// only starts once the tokens are there. A waiting send holds one of the
// server's workers; MaxOutstandingBytesPerPeer bounds how many a peer can
// hold, so with a few greedy peers most workers stay free to answer
// others. With very many peers under a low cap, answers queue behind the
// blocks already committed (seconds, at most a few blocks per peer).
//
// # Download cap for seeding fetches
//
// Config.DownloadLimit (or SetDownloadLimit) caps what the node fetches
// for seeding, not for the user: Pin with PinForSeeding and Open with
// OpenForSeeding go through a second block service whose exchange (the
// same bitswap and gateways) first takes tokens from a bucket of the same
// kind as the upload cap's. A request pays for a whole 1 MiB leaf before it
// is sent and settles the difference when the block arrives, so nothing
// is asked for before it is paid; local blocks cost nothing, so resuming a
// fetch pays only for what is missing. A seeding pin asks for at most 8
// blocks at once (boxo's FetchGraph default is 32). Everything else (the
// streaming gateway, cat, get, a user's Pin) uses the uncapped block
// service and never waits. BytesFetchedForSeeding counts what seeding
// fetched.
//
// # Seeding announcements
//
// Nodes tell each other which videos they serve, and how much demand they
// saw for them, on the gossipsub topic AnnounceTopic: signed (StrictSign),
// versioned JSON of at most 64 videos and 16 KiB, counts only, never who
// watched. Each entry carries the demand of a sliding window that ends
// when it is sent (the last 10 minutes by default), so consecutive
// announcements overlap and any one that arrives carries all recent
// demand: a lost announcement loses nothing. Announce publishes (at most
// every 15 s; nothing in private mode); Heard keeps each peer's latest
// announcement for 10 minutes (a newer one replaces it, never adds to it)
// and sums them per video as rates (counts over their windows). The
// validator refuses bad payloads and penalizes their sender, and limits
// each sender to a burst of 3 and then one per 10 s: a flooding peer is
// penalized for 10 minutes and soon graylisted by gossipsub's peer score.
//
// # Demand and providers
//
// IndexVideo maps a video's blocks to its root (internal nodes read from
// the local store, raw leaves never); Demand reports the wants, blocks and
// bytes our bitswap server saw per video since Start, counts only, never
// who asked; CountProviders estimates from the DHT how many other nodes
// provide a video. The auto-seeding engine (library) ranks videos by them.
//
// # A full disk
//
// Badger writes through memory-mapped sparse files, so on a full disk a
// write does not fail: the process dies of SIGBUS. The node therefore
// keeps a reserve free on the repo's disk (DefaultDiskReserve, 64 MiB;
// WithDiskReserve): a block write that would go below it is refused with
// ErrDiskFull (an import or a pin fails with it, a fetch stops, a player
// reading uncached bytes gets it), while everything stored is still
// served, pins stay, and eviction still frees space (without rotating
// Badger's newest value-log file while less than 80 MiB is free, and not
// at all below 40 MiB). The library's quota keeper stops fetches before
// this, at its free-disk floor; the reserve catches what that floor cannot
// see coming, such as another program filling the disk during a fetch.
// Small writes (pins, DHT records) are not metered: a disk another program
// fills to the last byte can still crash Badger. VerifyBlocks re-hashes
// every stored block.
//
// # Repo
//
// A repo is a directory holding:
//
//	version        repo format version; a newer one than this build knows is refused
//	config.json    listen ports and settings picked when the repo was created
//	identity.key   the node's ed25519 private key (0600)
//	repo.lock      held (flock) by the one process that has the repo open
//	datastore/     Badger v4: blocks, pins, provider queue, IPNS records
//
// The repo is created atomically: it is assembled in a temporary sibling
// directory and renamed into place, so a crash during creation never leaves a
// half-made repo behind.
//
// Only one process opens a repo at a time. Others talk to it through the
// control API (see package app) whose address and token the holder writes
// into the repo.
//
// # Where the time of a block goes
//
// Measured on the CI machine kind (a paravirtualised VM where every page
// fault costs ~18 µs), one 1 MiB block fetched alone from a loopback peer
// took ~40 ms: up to 20 ms before the want leaves (boxo's message queue
// waits at least 20 ms after its previous message, a constant), ~5 ms for
// the sender's Badger read (copying the value into freshly faulted heap
// pages), ~8 ms on the wire, ~6 ms to store it (Badger copies it into its
// mapped value log, page fault by page fault). Write-side remedies tried
// and measured without effect on 1 GiB fetches and imports: transparent
// huge pages and MADV_POPULATE_WRITE on the value-log mappings, and no
// page trimming at all. Sending the read-ahead with the leaf a seek lands
// on made the leaf arrive later, not sooner (the sender interleaves what it
// sends), which is why the window starts at one leaf after a jump.
//
// # Untrusted input
//
// Every parser of what peers, gateways, players or strangers' directories
// send has a fuzz target that asserts its invariants (FuzzRangeHeader,
// FuzzDecodeAnnouncement, FuzzDecodeMetadata, …; `make fuzz` runs them
// all), and every later one gets one too.
package node
