package node

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	gopath "path"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/files"
	"github.com/ipfs/boxo/gateway"
	"github.com/ipfs/boxo/ipld/merkledag"
	ft "github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/boxo/path"
	"github.com/ipfs/go-cid"
	"github.com/prometheus/client_golang/prometheus"
)

// Read-ahead of the gateway, per response. A player's own cache reads
// ahead too (mpv's demuxer cache), so the window only has to keep blocks
// coming faster than the video plays: a few seconds of video, and never so
// few blocks that the round trip bounds throughput (4 blocks of 1 MiB in
// flight at 40 ms RTT still move ~100 MiB/s). It is capped because each
// block in flight costs far more heap than its MiB: bitswap reads every
// 1 MiB message into a 2 MiB buffer, and garbage doubles it until the
// next GC. Streaming from a peer, the heap grows with the window while
// throughput stops improving past 16 blocks (and falls beyond).
const (
	// GatewayReadAheadSeconds of video at its bit rate make the default window.
	GatewayReadAheadSeconds = 10
	// MinGatewayReadAhead is the smallest default window: 4 blocks.
	MinGatewayReadAhead = 4 * ChunkSize
	// MaxGatewayReadAhead is the largest default window: 16 blocks, which
	// at 40 ms RTT would still move ~400 MiB/s.
	MaxGatewayReadAhead = 16 * ChunkSize
	// assumedBitrate stands in when a video's bit rate is unknown (a bare
	// file CID has no metadata): 8 Mbit/s, a 1080p H.264 rate.
	assumedBitrate = 8_000_000
)

// Gateway is a loopback HTTP gateway that serves UnixFS files to a local
// player: boxo's gateway handler, except that file responses (whole or a
// byte range) come from a File, which fetches only the blocks under the
// range plus a read-ahead window and cancels that window when the player
// moves on. Start it with (*Node).StartGateway.
//
// It listens on 127.0.0.1 only and answers only requests that carry its
// random token as the first path segment and a Host header naming the
// loopback address it listens on (so a web page cannot reach it by DNS
// rebinding); it sends no CORS headers and answers GET and HEAD only.
type Gateway struct {
	n         *Node
	token     string
	addr      string
	hosts     map[string]bool
	readAhead int64
	handler   http.Handler
	srv       *HTTPServer

	// ctx lives until Close; PrefetchEnds fetches run under it so they
	// outlive the request that started them.
	ctx       context.Context
	cancel    context.CancelFunc
	serveDone chan struct{}
	handlers  sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex
	closed bool // no handler starts once set, so Close can wait for them
	stats  GatewayStats
	videos map[cid.Cid]Video // directory → its video, resolved once
	// reading holds the Files of the responses in progress, by video.
	reading map[cid.Cid]map[*File]struct{}
}

// GatewayStats sums the fetching of every File the gateway served.
type GatewayStats struct {
	ReadStats
	// Files counts file responses (each GET or HEAD of a file opens one).
	Files int64 `json:"files"`
	// Refused counts requests turned away: wrong token or Host, a method
	// other than GET or HEAD, or a path outside /ipfs/.
	Refused int64 `json:"refused"`
	// FromGateway is the verified block bytes each HTTP gateway delivered
	// to the node (every reader, not only this gateway's), by URL.
	FromGateway map[string]int64 `json:"from_gateway,omitempty"`
}

// GatewayOption tunes StartGateway.
type GatewayOption func(*gatewayOptions)

type gatewayOptions struct {
	readAhead int64
	http      []HTTPOption
}

// GatewayHTTP changes the server's bounds (NewHTTPServer's defaults
// otherwise); tests use short ones.
func GatewayHTTP(opts ...HTTPOption) GatewayOption {
	return func(o *gatewayOptions) { o.http = append(o.http, opts...) }
}

// GatewayReadAhead fixes the read-ahead window of every response at bytes
// (0 keeps the default: GatewayReadAheadSeconds of the video at its bit
// rate, at least MinGatewayReadAhead, at most MaxGatewayReadAhead).
func GatewayReadAhead(bytes int64) GatewayOption {
	return func(o *gatewayOptions) { o.readAhead = bytes }
}

// maxCachedVideos bounds the directory → video cache; past it the cache
// starts over (a player asks for one or two videos at a time).
const maxCachedVideos = 256

// StartGateway serves the node's files over HTTP on 127.0.0.1 at a random
// port until Close or until ctx ends. Players open (*Gateway).URL.
func (n *Node) StartGateway(ctx context.Context, opts ...GatewayOption) (*Gateway, error) {
	var o gatewayOptions
	for _, opt := range opts {
		opt(&o)
	}
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("node.StartGateway: token: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("node.StartGateway: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	g := &Gateway{
		n:         n,
		token:     hex.EncodeToString(tok[:]),
		addr:      ln.Addr().String(),
		readAhead: o.readAhead,
		serveDone: make(chan struct{}),
		videos:    map[cid.Cid]Video{},
		reading:   map[cid.Cid]map[*File]struct{}{},
		hosts: map[string]bool{
			fmt.Sprintf("127.0.0.1:%d", port): true,
			fmt.Sprintf("localhost:%d", port): true,
			fmt.Sprintf("[::1]:%d", port):     true,
		},
	}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.handler = newGatewayHandler(gateway.Config{
		// Players need plain file bytes: without deserialized responses
		// boxo answers a player's request with HTTP 406.
		DeserializedResponses: true,
		NoDNSLink:             true,
		DisableHTMLErrors:     true,
		// A player needs one or two; the bound keeps a runaway local
		// client from making the node fetch without limit.
		MaxConcurrentRequests: 64,
		// No RetrievalTimeout: it also cuts a response whose writes block
		// for that long, which is what a paused player does. Stalled
		// blocks are asked for again by the File; the player has its own
		// network timeout. A request may last as long as a film is paused.
		MaxRequestDuration: 24 * time.Hour,
		// A registry of its own: the default one is process-wide.
		MetricsRegistry: prometheus.NewRegistry(),
	}, &gatewayBackend{g: g})
	g.handler = guardRanges(g.handler)
	// No WriteTimeout (NewHTTPServer sets none): a paused player leaves a
	// response unread for as long as it likes.
	g.srv = NewHTTPServer(g, o.http...)
	g.srv.BaseContext = func(net.Listener) context.Context { return g.ctx }
	go func() {
		defer close(g.serveDone)
		if err := g.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("gateway stopped", "addr", g.addr, "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			g.Close()
		case <-g.ctx.Done():
		}
	}()
	n.log.Info("gateway listening", "addr", g.addr)
	return g, nil
}

// Addr is the listening address, 127.0.0.1:PORT.
func (g *Gateway) Addr() string { return g.addr }

// URL is what a player opens to play c. For a directory the gateway serves
// the video ResolveVideo picks, at this same URL.
func (g *Gateway) URL(c cid.Cid) string {
	return "http://" + g.addr + "/" + g.token + "/ipfs/" + c.String()
}

// Prefetch starts fetching the first and last blocks of file c, so they
// are on the way while the player starts up (mpv reads the first block,
// then the last for an mp4 whose index is at the end), which shortens the
// time to first frame of such an mp4. It returns once the fetches are
// started; they run on until they finish or the gateway closes.
func (g *Gateway) Prefetch(ctx context.Context, c cid.Cid) error {
	f, err := g.n.Open(ctx, c, ReadAhead(0), PrefetchEnds(g.ctx))
	if err != nil {
		return err
	}
	return f.Close()
}

// Stats returns the totals so far.
func (g *Gateway) Stats() GatewayStats {
	g.mu.Lock()
	st := g.stats
	g.mu.Unlock()
	st.FromGateway = g.n.GatewayBytes()
	return st
}

func (g *Gateway) addReadStats(d ReadStats) {
	g.mu.Lock()
	g.stats.ReadStats.add(d)
	g.mu.Unlock()
}

// Close stops serving, drops open connections (cancelling their fetches)
// and waits for their handlers to return.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		g.cancel()
		g.closeErr = g.srv.Close()
		<-g.serveDone
		g.handlers.Wait()
	})
	return g.closeErr
}

// ServeHTTP guards boxo's handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		http.Error(w, "gateway closed", http.StatusServiceUnavailable)
		return
	}
	g.handlers.Add(1)
	g.mu.Unlock()
	defer g.handlers.Done()
	// Before anything is written: a response that names no type, or a
	// type a browser would not sniff past, stays what it says it is.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !g.hosts[r.Host] {
		g.refuse(w, r, http.StatusForbidden, "host not allowed")
		return
	}
	rest, ok := g.stripToken(r.URL.Path)
	if !ok {
		g.refuse(w, r, http.StatusForbidden, "bad token")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		g.refuse(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	// Only immutable content: /ipns/ would send the node resolving names
	// (and DNSLink) for whoever holds the token.
	if !isCleanIPFSPath(rest) {
		g.refuse(w, r, http.StatusNotFound, "not found")
		return
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = rest
	u.RawPath = ""
	if r.URL.RawPath != "" {
		u.RawPath = strings.TrimPrefix(r.URL.RawPath, "/"+g.token)
	}
	r2.URL = &u
	start := time.Now()
	cw := &noCORSWriter{ResponseWriter: w}
	g.handler.ServeHTTP(cw, r2)
	if g.n.log.Enabled(r.Context(), slog.LevelDebug) {
		firstByte := time.Duration(-1)
		if !cw.firstByte.IsZero() {
			firstByte = cw.firstByte.Sub(start)
		}
		g.n.log.Debug("gateway response", "method", r.Method, "path", rest, "range", r.Header.Get("Range"),
			"bytes", cw.bytes, "first_byte", firstByte, "took", time.Since(start))
	}
}

// isCleanIPFSPath says whether p is an /ipfs/ path in its clean form
// (a trailing slash aside). Dot segments and doubled slashes are refused,
// not cleaned: boxo's handler cleans the path again, so "/ipfs/../ipns/x"
// would pass a prefix check and then name something else.
func isCleanIPFSPath(p string) bool {
	clean := gopath.Clean(p)
	if clean != strings.TrimSuffix(p, "/") {
		return false
	}
	return strings.HasPrefix(clean, "/ipfs/")
}

// stripToken checks the first path segment against the token (in constant
// time) and returns the rest of the path.
func (g *Gateway) stripToken(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	seg, rest, _ := strings.Cut(p[1:], "/")
	if subtle.ConstantTimeCompare([]byte(seg), []byte(g.token)) != 1 {
		return "", false
	}
	return "/" + rest, true
}

func (g *Gateway) refuse(w http.ResponseWriter, r *http.Request, code int, reason string) {
	g.mu.Lock()
	g.stats.Refused++
	g.mu.Unlock()
	// Debug, not Warn: any web page can make a browser knock on loopback
	// ports, and that must not flood the log.
	g.n.log.Debug("gateway refused a request", "reason", reason, "method", r.Method, "host", r.Host, "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(code), code)
}

// noCORSWriter drops any Access-Control-* header before the response goes
// out: no web origin may read from the gateway.
type noCORSWriter struct {
	http.ResponseWriter
	wroteHeader bool
	// For the debug log: when the first body byte went out, and how many.
	firstByte time.Time
	bytes     int64
}

func (w *noCORSWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		h := w.Header()
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				delete(h, k)
			}
		}
		if ct := h.Get("Content-Type"); isActiveType(ct) {
			h.Set("Content-Type", "application/octet-stream")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *noCORSWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.firstByte.IsZero() && len(p) > 0 {
		w.firstByte = time.Now()
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *noCORSWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// readAheadFor sizes the window for one video.
func (g *Gateway) readAheadFor(v Video) int64 {
	if g.readAhead > 0 {
		return g.readAhead
	}
	return defaultReadAhead(v.Bitrate())
}

// defaultReadAhead is GatewayReadAheadSeconds at bitsPerSecond (or the
// assumed rate when unknown), within [MinGatewayReadAhead, MaxGatewayReadAhead].
func defaultReadAhead(bitsPerSecond int64) int64 {
	if bitsPerSecond <= 0 {
		bitsPerSecond = assumedBitrate
	}
	return min(max(bitsPerSecond/8*GatewayReadAheadSeconds, MinGatewayReadAhead), MaxGatewayReadAhead)
}

// openVideo opens v for one response starting at start, reading ahead no
// further than end. A HEAD response reads at most the first bytes (for
// content-type sniffing), so it gets no read-ahead.
func (g *Gateway) openVideo(ctx context.Context, v Video, ranges []gateway.ByteRange, head bool) (*File, error) {
	readAhead := g.readAheadFor(v)
	if head {
		readAhead = 0
	}
	f, err := g.n.Open(ctx, v.Cid, ReadAhead(readAhead), PrefetchEnds(g.ctx), withStatsSink(g))
	if err != nil {
		return nil, err
	}
	start, end := servedSpan(ranges, f.Size())
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	f.limit = end
	var others []*File
	g.mu.Lock()
	g.stats.Files++
	if !head {
		// A player reads one place of a video at a time: a new range
		// means it moved, so the older responses' read-ahead only
		// competes with the block it now waits for.
		for other := range g.reading[v.Cid] {
			others = append(others, other)
		}
		if g.reading[v.Cid] == nil {
			g.reading[v.Cid] = map[*File]struct{}{}
		}
		g.reading[v.Cid][f] = struct{}{}
		context.AfterFunc(ctx, func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			delete(g.reading[v.Cid], f)
			if len(g.reading[v.Cid]) == 0 {
				delete(g.reading, v.Cid)
			}
		})
	}
	g.mu.Unlock()
	// Outside g.mu: a File reports its counts to the gateway under its
	// own lock.
	for _, other := range others {
		other.dropReadAhead()
	}
	return f, nil
}

// servedSpan is the part of a file of size bytes that boxo's handler will
// send for ranges: it serves the first range that overlaps the file, or
// the whole file when there is none or when the ranges add up to more
// than the file. The reader must start where that part starts.
func servedSpan(ranges []gateway.ByteRange, size int64) (start, end int64) {
	first, found := ByteRange{}, false
	var total int64
	for _, ra := range ranges {
		var s, e int64
		switch {
		case ra.From < 0:
			s, e = max(size+ra.From, 0), size
		case ra.From >= size:
			continue // no overlap
		default:
			s, e = ra.From, size
			if ra.To != nil && *ra.To < size-1 { // not *ra.To+1: To may be math.MaxInt64
				e = *ra.To + 1
			}
		}
		total += e - s
		if !found {
			first, found = ByteRange{s, e}, true
		}
	}
	if !found || total > size {
		return 0, size
	}
	return first.Start, first.End
}

// newGatewayHandler is boxo's gateway handler as every HTTP server of the
// node builds it: each request is one walk under the walk bounds
// (walkBoundedBackend) and no response invites content sniffing.
func newGatewayHandler(c gateway.Config, backend gateway.IPFSBackend) http.Handler {
	h := gateway.NewHandler(c, walkBoundedBackend{backend})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// gatewayBackend is boxo's BlocksBackend (over the node's current block
// service: offline before Start, bitswap after) with file responses
// served by File.
type gatewayBackend struct {
	g *Gateway

	mu    sync.Mutex
	bserv blockservice.BlockService
	boxo  *gateway.BlocksBackend
}

var (
	_ gateway.IPFSBackend     = (*gatewayBackend)(nil)
	_ gateway.WithContextHint = (*gatewayBackend)(nil)
)

// blocks returns boxo's backend over the node's block service of the
// moment, rebuilt when the node came online.
func (b *gatewayBackend) blocks() (*gateway.BlocksBackend, error) {
	bs := b.g.n.blockService()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.boxo == nil || b.bserv != bs {
		bb, err := gateway.NewBlocksBackend(bs)
		if err != nil {
			return nil, fmt.Errorf("gateway backend: %w", err)
		}
		b.boxo, b.bserv = bb, bs
	}
	return b.boxo, nil
}

// video says whether p names a UnixFS file, or a directory holding a
// video, and which file then plays. ok is false for everything else
// (boxo then serves it).
func (b *gatewayBackend) video(ctx context.Context, p path.ImmutablePath) (md gateway.ContentPathMetadata, v Video, ok bool, err error) {
	bb, err := b.blocks()
	if err != nil {
		return md, v, false, err
	}
	md, err = bb.ResolvePath(ctx, p)
	if err != nil || len(md.LastSegmentRemainder) > 0 {
		return md, v, false, err
	}
	root := md.LastSegment.RootCid()
	switch root.Type() {
	case cid.Raw:
		return md, Video{Cid: root}, true, nil
	case cid.DagProtobuf:
	default:
		return md, v, false, nil
	}
	blk, err := b.g.n.blockService().GetBlock(ctx, root)
	if err != nil {
		return md, v, false, err
	}
	nd, err := merkledag.DecodeProtobuf(blk.RawData())
	if err != nil {
		return md, v, false, nil
	}
	kind, size, err := unixfsKind(nd)
	switch {
	case errors.Is(err, ErrCorruptFile):
		// Not for boxo's reader either: it has no such check.
		return md, v, false, gateway.NewErrorStatusCode(fmt.Errorf("file %s: %w", root, err), http.StatusBadGateway)
	case err != nil:
		return md, v, false, nil
	}
	switch kind {
	case ft.TFile, ft.TRaw:
		return md, Video{Cid: root, Size: size}, true, nil
	case ft.TDirectory, ft.THAMTShard:
	default:
		return md, v, false, nil
	}
	v, err = b.g.videoInDir(ctx, nd)
	if err != nil {
		status := http.StatusNotFound
		if errors.Is(err, ErrDAGTooLarge) {
			status = http.StatusBadGateway
		}
		return md, v, false, gateway.NewErrorStatusCode(fmt.Errorf("directory %s: %w", root, err), status)
	}
	md.PathSegmentRoots = append(md.PathSegmentRoots, root)
	md.LastSegment = path.FromCid(v.Cid)
	md.ContentType = videoContentType(v)
	return md, v, true, nil
}

// videoContentType is the Content-Type of a video chosen from a
// directory: the metadata's mime, else the type of the file name's
// extension, when it is a media type (video, audio or a raster image);
// else application/octet-stream, never left to sniffing. The metadata
// and the name come from whoever published the directory, and a type a
// browser runs (text/html, SVG) would run it on the gateway's origin.
func videoContentType(v Video) string {
	if v.Metadata != nil && isMediaType(v.Metadata.MIME) {
		return v.Metadata.MIME
	}
	if ct := mime.TypeByExtension(gopath.Ext(v.Name)); isMediaType(ct) {
		return ct
	}
	return "application/octet-stream"
}

// isMediaType says whether ct is a video, audio or image type that no
// browser runs as a document: SVG and other XML images are scripts' homes.
func isMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case strings.HasSuffix(mt, "+xml") || strings.HasSuffix(mt, "/xml"):
		return false
	case strings.HasPrefix(mt, "video/"), strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "image/"):
		return true
	}
	return false
}

// isActiveType says whether a browser given ct would run it as a page or
// a script: HTML, XML (XHTML, SVG), JavaScript. The loopback gateway
// never sends those; its content is anyone's.
func isActiveType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct != ""
	}
	switch {
	case mt == "text/html", mt == "text/xsl", mt == "text/xml", mt == "application/xml",
		strings.HasSuffix(mt, "+xml"), strings.Contains(mt, "javascript"), strings.Contains(mt, "ecmascript"):
		return true
	}
	return false
}

// videoInDir resolves a directory's video once per directory.
func (g *Gateway) videoInDir(ctx context.Context, nd *merkledag.ProtoNode) (Video, error) {
	g.mu.Lock()
	v, ok := g.videos[nd.Cid()]
	g.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := videoInDirectory(ctx, g.n.dagService(), nd)
	if err != nil {
		return Video{}, err
	}
	g.mu.Lock()
	if len(g.videos) >= maxCachedVideos {
		clear(g.videos)
	}
	g.videos[nd.Cid()] = v
	g.mu.Unlock()
	return v, nil
}

func (b *gatewayBackend) Get(ctx context.Context, p path.ImmutablePath, ranges ...gateway.ByteRange) (gateway.ContentPathMetadata, *gateway.GetResponse, error) {
	return serveVideo(ctx, b, p, ranges, false,
		func(bb *gateway.BlocksBackend) (gateway.ContentPathMetadata, *gateway.GetResponse, error) {
			return bb.Get(ctx, p, ranges...)
		},
		func(f *File) *gateway.GetResponse { return gateway.NewGetResponseFromReader(f, f.Size()) })
}

func (b *gatewayBackend) Head(ctx context.Context, p path.ImmutablePath) (gateway.ContentPathMetadata, *gateway.HeadResponse, error) {
	return serveVideo(ctx, b, p, nil, true,
		func(bb *gateway.BlocksBackend) (gateway.ContentPathMetadata, *gateway.HeadResponse, error) {
			return bb.Head(ctx, p)
		},
		func(f *File) *gateway.HeadResponse { return gateway.NewHeadResponseForFile(f, f.Size()) })
}

// serveVideo answers a GET or HEAD: a video file from a File, anything
// else from boxo's blocks backend.
func serveVideo[R any](ctx context.Context, b *gatewayBackend, p path.ImmutablePath, ranges []gateway.ByteRange, head bool,
	fromBlocks func(*gateway.BlocksBackend) (gateway.ContentPathMetadata, *R, error),
	fromFile func(*File) *R) (gateway.ContentPathMetadata, *R, error) {
	md, v, ok, err := b.video(ctx, p)
	if err != nil {
		return md, nil, err
	}
	if !ok {
		bb, err := b.blocks()
		if err != nil {
			return md, nil, err
		}
		return fromBlocks(bb)
	}
	f, err := b.g.openVideo(ctx, v, ranges, head)
	if err != nil {
		return md, nil, err
	}
	return md, fromFile(f), nil
}

func (b *gatewayBackend) GetAll(ctx context.Context, p path.ImmutablePath) (gateway.ContentPathMetadata, files.Node, error) {
	bb, err := b.blocks()
	if err != nil {
		return gateway.ContentPathMetadata{}, nil, err
	}
	return bb.GetAll(ctx, p)
}

func (b *gatewayBackend) GetBlock(ctx context.Context, p path.ImmutablePath) (gateway.ContentPathMetadata, files.File, error) {
	bb, err := b.blocks()
	if err != nil {
		return gateway.ContentPathMetadata{}, nil, err
	}
	return bb.GetBlock(ctx, p)
}

func (b *gatewayBackend) ResolvePath(ctx context.Context, p path.ImmutablePath) (gateway.ContentPathMetadata, error) {
	bb, err := b.blocks()
	if err != nil {
		return gateway.ContentPathMetadata{}, err
	}
	return bb.ResolvePath(ctx, p)
}

func (b *gatewayBackend) GetCAR(ctx context.Context, p path.ImmutablePath, params gateway.CarParams) (gateway.ContentPathMetadata, io.ReadCloser, error) {
	bb, err := b.blocks()
	if err != nil {
		return gateway.ContentPathMetadata{}, nil, err
	}
	return bb.GetCAR(ctx, p, params)
}

func (b *gatewayBackend) IsCached(ctx context.Context, p path.Path) bool {
	bb, err := b.blocks()
	return err == nil && bb.IsCached(ctx, p)
}

// errImmutableOnly answers the mutable-name calls, which ServeHTTP keeps
// from ever reaching here.
var errImmutableOnly = gateway.NewErrorStatusCode(errors.New("only /ipfs/ paths are served"), http.StatusNotFound)

func (b *gatewayBackend) GetIPNSRecord(context.Context, cid.Cid) ([]byte, error) {
	return nil, errImmutableOnly
}

func (b *gatewayBackend) ResolveMutable(context.Context, path.Path) (path.ImmutablePath, time.Duration, time.Time, error) {
	return path.ImmutablePath{}, 0, time.Time{}, errImmutableOnly
}

func (b *gatewayBackend) GetDNSLinkRecord(context.Context, string) (path.Path, error) {
	return nil, errImmutableOnly
}

func (b *gatewayBackend) WrapContextForRequest(ctx context.Context) context.Context {
	bb, err := b.blocks()
	if err != nil {
		return ctx
	}
	return bb.WrapContextForRequest(ctx)
}
