package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/ipfs-tube/ipfs-tube/internal/childproc"
	"github.com/multiformats/go-multihash"
)

// gatewayPair is a seeder holding content and a viewer whose gateway
// serves it.
type gatewayPair struct {
	seeder, viewer *Node
	gw             *Gateway
	client         *http.Client
}

func newGatewayPair(t *testing.T, opts ...GatewayOption) *gatewayPair {
	t.Helper()
	p := &gatewayPair{seeder: newTestNode(t), viewer: newTestNode(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.viewer.Connect(ctx, addrInfoOver(t, p.seeder, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	gw, err := p.viewer.StartGateway(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	p.gw = gw
	// No proxy, whatever the environment says.
	p.client = &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}
	t.Cleanup(p.client.CloseIdleConnections)
	return p
}

// do sends one request; rangeHeader may be empty.
func (p *gatewayPair) do(t *testing.T, method, url, rangeHeader string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rangeHeader != "" {
		req.Header.Set("Range", rangeHeader)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s (%s): reading body: %v", method, url, rangeHeader, err)
	}
	return resp, body
}

// pollUntil waits up to 30 s for cond.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func noCORSHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	for k := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Fatalf("response carries CORS header %s: %v", k, resp.Header[k])
		}
	}
}

func TestGatewayFileAndRanges(t *testing.T) {
	p := newGatewayPair(t)
	size := int64(8<<20 + 12345)
	data, _ := io.ReadAll(newRandomReader(60, size))
	c := importBytes(t, p.seeder, data)
	url := p.gw.URL(c)
	if !strings.HasPrefix(url, "http://"+p.gw.Addr()+"/") || !strings.HasPrefix(p.gw.Addr(), "127.0.0.1:") {
		t.Fatalf("URL %s, Addr %s", url, p.gw.Addr())
	}

	resp, body := p.do(t, "GET", url, "", "Origin", "https://evil.example")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("full GET: %s, %d bytes (want %d), equal %v", resp.Status, len(body), size, bytes.Equal(body, data))
	}
	if resp.ContentLength != size || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("full GET headers: length %d, Accept-Ranges %q", resp.ContentLength, resp.Header.Get("Accept-Ranges"))
	}
	noCORSHeaders(t, resp)

	for _, tc := range []struct {
		header     string
		start, end int64 // expected, end exclusive
	}{
		{"bytes=100-199", 100, 200},
		{"bytes=1048570-2097160", 1048570, 2097161}, // across leaf boundaries
		{"bytes=-1000", size - 1000, size},
		{"bytes=5000000-", 5000000, size},
		{fmt.Sprintf("bytes=%d-%d", size-10, size+50), size - 10, size}, // end clamped
	} {
		resp, body := p.do(t, "GET", url, tc.header)
		want := fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end-1, size)
		if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != want {
			t.Fatalf("%s: %s, Content-Range %q, want 206 and %q", tc.header, resp.Status, resp.Header.Get("Content-Range"), want)
		}
		if !bytes.Equal(body, data[tc.start:tc.end]) {
			t.Fatalf("%s: %d bytes, wrong content", tc.header, len(body))
		}
		noCORSHeaders(t, resp)
	}

	resp, body = p.do(t, "GET", url, fmt.Sprintf("bytes=%d-", size+5))
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("range past the end: %s, want 416", resp.Status)
	}
	resp, body = p.do(t, "HEAD", url, "")
	if resp.StatusCode != http.StatusOK || resp.ContentLength != size || len(body) != 0 {
		t.Fatalf("HEAD: %s, length %d, %d body bytes", resp.Status, resp.ContentLength, len(body))
	}
	st := p.gw.Stats()
	if st.Files != 8 || st.BytesFetched == 0 || st.BytesFromPeers == 0 || st.BytesLocal == 0 {
		t.Fatalf("stats %+v: want 8 files, bytes from the peer first and locally later", st)
	}
	t.Logf("stats: %+v", st)
}

// TestGatewayTailRangeFetchesOnlyCoveringBlocks: the last 100 KiB of a
// 64 MiB file take the last leaf (plus the first, which every open
// fetches for players), never the blocks in between.
func TestGatewayTailRangeFetchesOnlyCoveringBlocks(t *testing.T) {
	ctx := context.Background()
	p := newGatewayPair(t)
	const size = 64 << 20
	c := importRandom(t, p.seeder, 61, size)
	data, _ := io.ReadAll(newRandomReader(61, size))

	resp, body := p.do(t, "GET", p.gw.URL(c), "bytes=-102400")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[size-102400:]) {
		t.Fatalf("tail range: %s, %d bytes", resp.Status, len(body))
	}
	// The first leaf may still be on its way; wait for both ends, then
	// check nothing else came.
	want := []ByteRange{{0, 1 << 20}, {size - 1<<20, size}}
	var got []ByteRange
	pollUntil(t, "both end leaves to be local", func() bool {
		var err error
		got, err = p.viewer.LocalRanges(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Equal(got, want)
	})
	st := p.gw.Stats()
	if st.BlocksFetched > 2 || st.BytesFromPeers > 2<<20 {
		t.Fatalf("tail range fetched %d leaves (%d bytes from peers), want at most 2", st.BlocksFetched, st.BytesFromPeers)
	}
	has, err := p.viewer.blockstore.Has(ctx, c)
	if err != nil || !has {
		t.Fatalf("root not stored: %v %v", has, err)
	}
	t.Logf("tail range: local ranges %v, stats %+v", got, st)
}

// TestGatewayOpenFetchesBothEndsAtOnce: asking for the first 100 bytes
// brings the last leaf too (an MP4 index at the end), both in flight
// together, and nothing else.
func TestGatewayOpenFetchesBothEndsAtOnce(t *testing.T) {
	ctx := context.Background()
	p := newGatewayPair(t)
	const size = 32<<20 + 4321
	c := importRandom(t, p.seeder, 62, size)
	resp, body := p.do(t, "GET", p.gw.URL(c), "bytes=0-99")
	if resp.StatusCode != http.StatusPartialContent || len(body) != 100 {
		t.Fatalf("head range: %s, %d bytes", resp.Status, len(body))
	}
	want := []ByteRange{{0, 1 << 20}, {32 << 20, size}}
	pollUntil(t, "the last leaf to arrive after the response ended", func() bool {
		got, err := p.viewer.LocalRanges(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Equal(got, want) && p.gw.Stats().BlocksFetched == 2
	})
	st := p.gw.Stats()
	if st.MaxInflight < 2 || st.BlocksFetched != 2 {
		t.Fatalf("stats %+v: want both ends in flight at once (max in flight ≥ 2) and 2 leaves fetched", st)
	}
}

// Prefetch brings both ends of a file in before any request, and only them.
func TestGatewayPrefetchBringsTheEnds(t *testing.T) {
	ctx := context.Background()
	p := newGatewayPair(t)
	const size = 24<<20 + 99
	c := importRandom(t, p.seeder, 66, size)
	if err := p.gw.Prefetch(ctx, c); err != nil {
		t.Fatal(err)
	}
	want := []ByteRange{{0, 1 << 20}, {24 << 20, size}}
	pollUntil(t, "both ends to arrive", func() bool {
		got, err := p.viewer.LocalRanges(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Equal(got, want)
	})
	// A CID nobody has: bounded by the caller's context.
	nobody, err := cid.Prefix{Version: 1, Codec: cid.DagProtobuf, MhType: multihash.SHA2_256, MhLength: -1}.Sum([]byte("nobody has this"))
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := p.gw.Prefetch(short, nobody); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("prefetching a CID nobody has: %v, want the deadline", err)
	}
}

// TestGatewaySeekCancelsReadAhead: a player seeks by opening a new range
// request and dropping the old one; the old one's read-ahead is
// cancelled. The seeder lacks a stretch of leaves so that read-ahead is
// certainly still in flight when the player moves on.
func TestGatewaySeekCancelsReadAhead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := newGatewayPair(t, GatewayReadAhead(16<<20))
	const size = 64 << 20
	c := importRandom(t, p.seeder, 63, size)
	data, _ := io.ReadAll(newRandomReader(63, size))
	rootBlk, err := p.seeder.blockstore.Get(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	info, _, err := decodeFileNode(rootBlk)
	if err != nil {
		t.Fatal(err)
	}
	// The seeder lacks leaves 16–43, so once the test has read the first
	// 16 MiB, all of the first response's read-ahead stays in flight until
	// something cancels it.
	for _, ch := range info.children[16:44] {
		if err := p.seeder.blockstore.DeleteBlock(ctx, ch.cid); err != nil {
			t.Fatal(err)
		}
	}

	first, err := p.client.Do(mustRequest(t, ctx, p.gw.URL(c), "bytes=0-"))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Body.Close()
	// Reading in order grows the window (it starts at the cursor leaf). It
	// is capped at half a second of the measured delivery rate: many blocks
	// on a quiet machine, fewer under -race on a busy one.
	head := make([]byte, 16<<20)
	if _, err := io.ReadFull(first.Body, head); err != nil || !bytes.Equal(head, data[:16<<20]) {
		t.Fatalf("first response: %v", err)
	}
	// The reader moves on to leaf 16 and asks for the window beyond it.
	pollUntil(t, "the first response to ask for leaves past its head", func() bool {
		return p.gw.Stats().MaxInflight >= 4
	})
	before := p.gw.Stats()
	if before.CancelledBlocks != 0 {
		t.Fatalf("before the seek: %+v, want nothing cancelled", before)
	}
	// Stuck in flight: at least half the peak window (the peak may have
	// come before the last head leaves arrived).
	stuck := int64(before.MaxInflight / 2)

	// The seek: a new request far away. Players open it before they drop
	// the old one; the old one's read-ahead goes at once.
	second, err := p.client.Do(mustRequest(t, ctx, p.gw.URL(c), fmt.Sprintf("bytes=%d-", 50<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Body.Close()
	part := make([]byte, 1<<20)
	if _, err := io.ReadFull(second.Body, part); err != nil || !bytes.Equal(part, data[50<<20:51<<20]) {
		t.Fatalf("second response: %v", err)
	}
	if st := p.gw.Stats(); st.CancelledBlocks < stuck {
		t.Fatalf("with the old response still open: %d blocks cancelled, want its read-ahead (≥ %d of a peak of %d in flight) dropped", st.CancelledBlocks, stuck, before.MaxInflight)
	}
	first.Body.Close()
	st := p.gw.Stats()
	t.Logf("before the seek: peak %d in flight; after: %+v", before.MaxInflight, st)
}

func mustRequest(t *testing.T, ctx context.Context, url, rangeHeader string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rangeHeader != "" {
		req.Header.Set("Range", rangeHeader)
	}
	return req
}

// TestGatewayGuard: requests without the token, from a foreign Host or
// with another method are refused before anything is fetched.
func TestGatewayGuard(t *testing.T) {
	ctx := context.Background()
	p := newGatewayPair(t)
	c := importRandom(t, p.seeder, 64, 3<<20)
	good := p.gw.URL(c)
	base := "http://" + p.gw.Addr()
	port := p.gw.Addr()[strings.LastIndex(p.gw.Addr(), ":")+1:]
	token := strings.TrimPrefix(strings.TrimSuffix(good, "/ipfs/"+c.String()), base+"/")

	for _, tc := range []struct {
		name, method, url string
		hdr               []string
		want              int
	}{
		{"no token", "GET", base + "/ipfs/" + c.String(), nil, http.StatusForbidden},
		{"wrong token", "GET", base + "/" + strings.Repeat("0", len(token)) + "/ipfs/" + c.String(), nil, http.StatusForbidden},
		{"token prefix", "GET", base + "/" + token[:len(token)-1] + "/ipfs/" + c.String(), nil, http.StatusForbidden},
		{"token only", "GET", base + "/" + token, nil, http.StatusNotFound},
		{"foreign host", "GET", good, []string{"Host", "evil.example:" + port}, http.StatusForbidden},
		{"host without port", "GET", good, []string{"Host", "127.0.0.1"}, http.StatusForbidden},
		{"rebinding host", "GET", good, []string{"Host", "127.0.0.1.nip.io:" + port}, http.StatusForbidden},
		{"post", "POST", good, nil, http.StatusMethodNotAllowed},
		{"options", "OPTIONS", good, []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "GET"}, http.StatusMethodNotAllowed},
		{"ipns", "GET", base + "/" + token + "/ipns/" + p.seeder.ID().String(), nil, http.StatusNotFound},
		{"post without token", "POST", base + "/ipfs/" + c.String(), nil, http.StatusForbidden},
	} {
		resp, _ := p.do(t, tc.method, tc.url, "", tc.hdr...)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %s, want %d", tc.name, resp.Status, tc.want)
		}
		noCORSHeaders(t, resp)
	}
	st := p.gw.Stats()
	if st.Refused != 11 || st.Files != 0 || st.BlocksFetched != 0 || st.BytesFetched != 0 {
		t.Fatalf("after refused requests: %+v, want 11 refused and nothing fetched", st)
	}
	if has, _ := p.viewer.blockstore.Has(ctx, c); has {
		t.Fatal("a refused request fetched the root block")
	}
	if got, _ := p.viewer.LocalRanges(ctx, c); len(got) != 0 {
		t.Fatalf("a refused request fetched %v", got)
	}

	// The same URL with allowed Host spellings works.
	for _, host := range []string{"", "localhost:" + port} {
		var hdr []string
		if host != "" {
			hdr = []string{"Host", host}
		}
		resp, body := p.do(t, "GET", good, "bytes=0-9", hdr...)
		if resp.StatusCode != http.StatusPartialContent || len(body) != 10 {
			t.Fatalf("host %q: %s, %d bytes", host, resp.Status, len(body))
		}
	}
}

func TestGatewayDirectoryPlaysItsVideo(t *testing.T) {
	p := newGatewayPair(t)
	videoData, _ := io.ReadAll(newRandomReader(65, 3<<20+99))
	video := importBytes(t, p.seeder, videoData)
	decoy := importRandom(t, p.seeder, 66, 5<<20)
	poster := importBytes(t, p.seeder, []byte("poster"))
	meta := importBytes(t, p.seeder, metadataJSON(t, VideoMetadata{Version: 1, Title: "T", Video: "talk.webm", Poster: "poster.jpg", DurationS: 2, MIME: "video/webm"}))
	withMeta := makeDir(t, p.seeder, false, map[string]cid.Cid{"talk.webm": video, "decoy.mp4": decoy, "poster.jpg": poster, MetadataFile: meta})
	noMeta := makeDir(t, p.seeder, true, map[string]cid.Cid{"only.mp4": video, "poster.jpg": poster})
	noVideo := makeDir(t, p.seeder, false, map[string]cid.Cid{"poster.jpg": poster})

	resp, body := p.do(t, "GET", p.gw.URL(withMeta), "")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, videoData) {
		t.Fatalf("directory with metadata: %s, %d bytes", resp.Status, len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "video/webm" {
		t.Fatalf("Content-Type %q, want the metadata's video/webm", ct)
	}
	resp, body = p.do(t, "GET", p.gw.URL(noMeta), "bytes=1000-1999")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, videoData[1000:2000]) {
		t.Fatalf("sharded directory without metadata: %s, %d bytes", resp.Status, len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
		t.Fatalf("Content-Type %q, want video/mp4 from the file name", ct)
	}
	resp, body = p.do(t, "GET", p.gw.URL(noVideo), "")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), ErrNoVideo.Error()) {
		t.Fatalf("directory without video: %s %q, want 404 saying %q", resp.Status, body, ErrNoVideo)
	}
	// A file inside the directory by name (the poster, for the app).
	resp, body = p.do(t, "GET", strings.Replace(p.gw.URL(withMeta), withMeta.String(), withMeta.String()+"/poster.jpg", 1), "")
	if resp.StatusCode != http.StatusOK || string(body) != "poster" {
		t.Fatalf("poster by path: %s %q", resp.Status, body)
	}
}

// TestGatewayDefaultReadAhead: with no bit rate known the window is
// GatewayReadAheadSeconds at the assumed rate; never under 4 blocks.
func TestGatewayDefaultReadAhead(t *testing.T) {
	for _, tc := range []struct {
		bitrate, want int64
	}{
		{0, assumedBitrate / 8 * GatewayReadAheadSeconds},
		{500_000, MinGatewayReadAhead},
		{12_000_000, 15_000_000},
		{50_000_000, MaxGatewayReadAhead},
	} {
		if got := defaultReadAhead(tc.bitrate); got != tc.want {
			t.Errorf("defaultReadAhead(%d) = %d, want %d", tc.bitrate, got, tc.want)
		}
	}
	g := &Gateway{readAhead: 3 << 20}
	if got := g.readAheadFor(Video{Size: 1 << 30}); got != 3<<20 {
		t.Errorf("GatewayReadAhead(3 MiB) gave %d", got)
	}

	// Through the gateway: a full GET keeps at least 4 blocks in flight.
	p := newGatewayPair(t)
	c := importRandom(t, p.seeder, 67, 24<<20)
	resp, body := p.do(t, "GET", p.gw.URL(c), "")
	if resp.StatusCode != http.StatusOK || len(body) != 24<<20 {
		t.Fatalf("full GET: %s, %d bytes", resp.Status, len(body))
	}
	if st := p.gw.Stats(); st.MaxInflight < 4 {
		t.Fatalf("max in flight %d, want at least 4", st.MaxInflight)
	}
}

// TestGatewayCloseEndsStreams: Close drops an open response and returns.
func TestGatewayCloseEndsStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := newGatewayPair(t)
	// Large enough that socket buffers cannot hold the rest.
	c := importRandom(t, p.seeder, 68, 64<<20)
	resp, err := p.client.Do(mustRequest(t, ctx, p.gw.URL(c), ""))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadFull(resp.Body, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- p.gw.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("Close hung with a response open")
	}
	if _, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Fatal("the open response ended cleanly after Close; want it cut")
	}
	if _, err := p.client.Get(p.gw.URL(c)); err == nil {
		t.Fatal("gateway still answers after Close")
	}
}

// TestLargeGatewayStreamMemory: streaming 1 GiB from a peer through the
// gateway keeps the heap bounded by the read-ahead window, not the file.
// The seeder runs in a child process so that only the viewer's heap (its
// node, the gateway and the HTTP client) is measured.
func TestLargeGatewayStreamMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("heap figures under the race detector mean nothing; make test runs this without it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const size = 1 << 30
	start := time.Now()
	seederAddr, c := startSeederProcess(t, 69, size)
	t.Logf("child seeder imported 1 GiB in %v", time.Since(start))
	viewer := newTestNode(t)
	if err := viewer.Connect(ctx, seederAddr); err != nil {
		t.Fatal(err)
	}
	gw, err := viewer.StartGateway(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start = time.Now()
	resp, err := client.Do(mustRequest(t, ctx, gw.URL(c), ""))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	if err != nil || n != size {
		t.Fatalf("streamed %d bytes, %v", n, err)
	}
	if !bytes.Equal(h.Sum(nil), sha256Sum(t, newRandomReader(69, size))) {
		t.Fatal("streamed bytes differ from the original")
	}
	st := gw.Stats()
	t.Logf("streamed 1 GiB in %v (%.0f MiB/s); HeapInuse %d MiB before, peak %d MiB; stats %+v",
		elapsed, float64(size)/elapsed.Seconds()/(1<<20), base>>20, peak>>20, st)
	if peak >= 200<<20 {
		t.Fatalf("peak HeapInuse %d MiB while streaming 1 GiB, want < 200 MiB", peak>>20)
	}
	if st.BytesFromPeers != size {
		t.Fatalf("%d bytes from the peer, want all %d", st.BytesFromPeers, size)
	}
}

func sha256Sum(t testing.TB, r io.Reader) []byte {
	sum := sha256Of(t, r)
	return sum[:]
}

// seederHelperEnv makes the test binary act as a seeder process (see
// TestSeederProcessHelper).
const seederHelperEnv = "IPFS_TUBE_TEST_SEEDER"

// startSeederProcess runs this test binary as a seeder holding size
// pseudo-random bytes from seed, and returns its address and the file's
// CID. The child stops when the test ends.
func startSeederProcess(t *testing.T, seed uint64, size int64) (peer.AddrInfo, cid.Cid) {
	t.Helper()
	child := childproc.Start(t, fmt.Sprintf("%s=%s,%d,%d", seederHelperEnv, t.TempDir(), seed, size))
	var addr peer.AddrInfo
	var c cid.Cid
	for !c.Defined() || addr.ID == "" {
		key, val, _ := strings.Cut(child.Line(t, 5*time.Minute), " ")
		switch key {
		case "ADDR":
			ai, err := peer.AddrInfoFromString(val)
			if err != nil {
				t.Fatal(err)
			}
			addr = *ai
		case "CID":
			var err error
			if c, err = cid.Decode(val); err != nil {
				t.Fatal(err)
			}
		}
	}
	return addr, c
}

// seederChild is the child process of startSeederProcess (TestMain runs
// it when seederHelperEnv is set): it imports seeded random bytes, prints
// its TCP address and the CID, and serves until its stdin ends.
func seederChild(spec string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "seeder process:", err)
		os.Exit(1)
	}
	var dir string
	var seed uint64
	var size int64
	parts := strings.Split(spec, ",")
	if len(parts) != 3 {
		fail(fmt.Errorf("bad %s %q", seederHelperEnv, spec))
	}
	dir = parts[0]
	if _, err := fmt.Sscan(parts[1], &seed); err != nil {
		fail(err)
	}
	if _, err := fmt.Sscan(parts[2], &size); err != nil {
		fail(err)
	}
	ctx := context.Background()
	n, err := New(ctx, Config{Repo: filepath.Join(dir, "repo"), Isolated: true})
	if err != nil {
		fail(err)
	}
	defer n.Close()
	if err := n.Start(ctx); err != nil {
		fail(err)
	}
	res, err := n.Import(ctx, newRandomReader(seed, size))
	if err != nil {
		fail(err)
	}
	for _, a := range n.Host().Addrs() {
		if _, err := a.ValueForProtocol(ma.P_TCP); err == nil {
			fmt.Printf("ADDR %s\nCID %s\n", a.Encapsulate(ma.StringCast("/p2p/"+n.ID().String())), res.Cid)
			break
		}
	}
	io.Copy(io.Discard, os.Stdin)
}
