// Package node is IPFS-Tube's embedded IPFS node: a libp2p host (TCP and QUIC,
// Noise and TLS, yamux) with NAT traversal, the Amino DHT, bitswap over a
// Badger blockstore, a persistent pin set, garbage collection, providing of
// pinned roots, IPNS, and UnixFS import and random-access reading in the
// unixfs-v1-2025 profile. It also owns the loopback streaming gateway the
// player reads (with the public-gateway fallback of its sub-package
// gwfetch), video directories (video.json and poster), the upload and
// seeding-download caps, seeding announcements and the demand it hears,
// the disk guard, and the repo (its lock, verification, space reclaim).
//
// It never imports fyne, mpv or the library; the app asks it for bytes.
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
// /ipfs/ paths are answered (in clean form: a path with dot segments or
// doubled slashes is refused, not cleaned, since boxo would clean it into
// another path), and no CORS header is sent, so a web page in a browser
// can neither read from it nor make it fetch. Every response says
// X-Content-Type-Options: nosniff, and none declares a type a browser
// would run (HTML, XML, SVG, JavaScript: those become
// application/octet-stream), since what it serves is anyone's and would
// run on the gateway's origin.
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
// ErrBadMetadata. The gateway sends the metadata's mime as the video's
// Content-Type only when it is a media type (video/, audio/, or an image
// type other than SVG and XML), else the type of the file name's
// extension under the same rule, else application/octet-stream: never
// left to sniffing (a player probes the bytes itself).
//
// # Walk bounds
//
// A DAG from the network is hostile until walked: a HAMT-sharded
// directory whose shards link hundreds of times to the same child shard
// holds billions of entries in four blocks of 12 KiB, and an unbounded
// listing of it ran out of memory. So every walk is bounded, in one
// place: a walk budget rides on the walk's context, and the node's
// blockstore charges every block read under that context to it
// (walkbound.go), whatever block service, session, resolver or DAG
// service reads through it. A walk is one ResolvePath, one ResolveVideo,
// one PublishVideo completeness check, and one request to any gateway
// handler the node serves (newGatewayHandler, used by StartGateway and
// TrustlessHandler; a server added later on it inherits the bounds).
// Its bounds:
//
//   - MaxWalkBlocks (8192) block reads. A block read twice counts twice,
//     so this also bounds the links followed and, for walkers that keep
//     what they load (boxo's HAMT does), the memory: each link kept is an
//     entry or a block read. A HAMT directory of 10,000 entries takes
//     about 1,000 reads; a CAR or tar response of a video about one per
//     MiB, so those end past 8 GiB.
//   - MaxDirEntries (10,000) directory entries listed. A video directory
//     holds three; 10,000 leaves room for subtitles and chapters.
//
// Past a bound the walk's context is cancelled (so fetches under way
// stop) and the walk fails with a *DAGTooLargeError naming the bound,
// which matches ErrDAGTooLarge; a gateway answers 502 Bad Gateway with it
// (a CAR or tar body already under way ends with the error). Reading a
// file with Open is not a walk: a File fetches only what its reader reads
// and keeps only the file's internal nodes, by CID, so a player may
// stream a film of any length. A reuse bomb (HAMT shards that link the
// same shard again) thus fails fast with a small heap, where without the
// bounds each shard more multiplies the walk's work and memory by 256.
//
// HAMT depth needs no bound of its own: each level is a block read, and a
// lookup follows one path of the name's 64-bit hash.
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
// A repo path never costs the user what is already there: a file, pipe or
// device, a folder of other files, a dangling symlink, or a version file
// that is not a positive number is refused with ErrNotRepo and left as it
// was. An empty folder becomes the repo. A symlink is followed: to a repo
// or an empty folder it works as that folder (the link stays), so a repo
// can live on another disk.
//
// # Storage failures
//
// A node watches its storage: a repo folder removed or replaced under it
// (checked every 2 s; on Linux writes would go on into files without a
// name) or a Badger memtable flush that failed (Badger only logs that, via
// go-ds-badger4's go-log logger, and retries it for ever while writes
// queue and Close waits) closes Failed, and Failure says what happened.
// The node cannot go on; its holder closes it, and Close then gives up
// after 2 s. VerifyBlocks re-hashes every block, one at a time, and with
// VerifyRepair drops the bad ones so they are fetched again.
//
// Only one process opens a repo at a time. Others talk to it through the
// control API (see package app) whose address and token the holder writes
// into the repo.
//
// # HTTP servers
//
// Every HTTP server of the program (the streaming gateway here, the app's
// control API) comes from NewHTTPServer, so the bounds live in one place
// and servers added later get them: 10 s to send request headers, 60 s
// idle between requests, 64 KiB of headers, and at most 128 connections
// at once (more wait in the kernel's queue rather than cost a file
// descriptor each). No timeout covers a whole request or response: a
// paused player reads nothing for as long as it likes.
//
// # Where the time of a block goes
//
// One 1 MiB block fetched alone from a loopback peer spends its time in
// four parts: up to 20 ms before the want leaves (boxo's message queue
// waits at least 20 ms after its previous message, a constant), the
// sender's Badger read (copying the value into freshly faulted heap
// pages), the wire, and storing it (Badger copies it into its mapped value
// log, page fault by page fault). On a VM where page faults are dear, the
// two copies cost about as much as the wire. Write-side remedies tried
// without effect on 1 GiB fetches and imports: transparent huge pages and
// MADV_POPULATE_WRITE on the value-log mappings, and no page trimming at
// all. Sending the read-ahead with the leaf a seek lands on made the leaf
// arrive later, not sooner (the sender interleaves what it sends), which
// is why the window starts at one leaf after a jump.
//
// # Untrusted input
//
// Every parser of what peers, gateways, players or strangers' directories
// send has a fuzz target that asserts its invariants (FuzzRangeHeader,
// FuzzDecodeAnnouncement, FuzzDecodeMetadata, …; `make fuzz` runs them
// all), and every later one gets one too.
package node
