package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// newTestNode starts an isolated node on a fresh repo.
func newTestNode(t testing.TB) *Node {
	t.Helper()
	return startNode(t, Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true})
}

func startNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	ctx := context.Background()
	n, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

// randomReader yields size deterministic pseudo-random bytes without
// holding them in memory.
type randomReader struct {
	rng  *rand.ChaCha8
	left int64
}

func newRandomReader(seed uint64, size int64) *randomReader {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return &randomReader{rng: rand.NewChaCha8(s), left: size}
}

func (r *randomReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, _ := r.rng.Read(p)
	r.left -= int64(n)
	return n, nil
}

func sha256Of(t testing.TB, r io.Reader) [32]byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// transport picks one transport's address of n, so a test can force TCP
// or QUIC.
func addrInfoOver(t testing.TB, n *Node, proto int) peer.AddrInfo {
	t.Helper()
	var addrs []ma.Multiaddr
	for _, a := range n.Host().Addrs() {
		if _, err := a.ValueForProtocol(proto); err == nil {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		t.Fatalf("node has no address with protocol %d: %v", proto, n.Host().Addrs())
	}
	return peer.AddrInfo{ID: n.ID(), Addrs: addrs}
}

// transferSize is what the exchange tests move: 64 MiB under the race
// detector, 256 MiB without (make test runs the Large tests both ways).
func transferSize() int64 {
	if raceEnabled {
		return 64 << 20
	}
	if os.Getenv("XFER_GIB") != "" {
		return 1 << 30
	}
	return 256 << 20
}

func TestLargeTransferTwoNodes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proto int
	}{{"tcp", ma.P_TCP}, {"quic", ma.P_QUIC_V1}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			seeder, leecher := newTestNode(t), newTestNode(t)
			size := transferSize()
			res, err := seeder.Import(ctx, newRandomReader(7, size))
			if err != nil {
				t.Fatal(err)
			}
			if err := leecher.Connect(ctx, addrInfoOver(t, seeder, tc.proto)); err != nil {
				t.Fatal(err)
			}
			f, err := leecher.Open(ctx, res.Cid)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Size() != size {
				t.Fatalf("size %d, want %d", f.Size(), size)
			}
			if got, want := sha256Of(t, f), sha256Of(t, newRandomReader(7, size)); got != want {
				t.Fatal("fetched bytes differ from the original")
			}
			for _, c := range leecher.Host().Network().ConnsToPeer(seeder.ID()) {
				if _, err := c.RemoteMultiaddr().ValueForProtocol(tc.proto); err != nil {
					t.Fatalf("connection not over the requested transport: %s", c.RemoteMultiaddr())
				}
			}
		})
	}
}

func TestLargeTransferFiveNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var nodes []*Node
	for range 5 {
		nodes = append(nodes, newTestNode(t))
	}
	size := transferSize() / 2
	res, err := nodes[0].Import(ctx, newRandomReader(11, size))
	if err != nil {
		t.Fatal(err)
	}
	want := sha256Of(t, newRandomReader(11, size))
	// A chain with one shortcut: 0-1 over TCP, 1-2 and 2-3 over QUIC,
	// 3-4 over TCP and 4-0 over QUIC, so blocks travel through fetchers.
	links := []struct {
		a, b  int
		proto int
	}{{1, 0, ma.P_TCP}, {2, 1, ma.P_QUIC_V1}, {3, 2, ma.P_QUIC_V1}, {4, 3, ma.P_TCP}, {4, 0, ma.P_QUIC_V1}}
	for _, l := range links {
		if err := nodes[l.a].Connect(ctx, addrInfoOver(t, nodes[l.b], l.proto)); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 4)
	for i := 1; i < 5; i++ {
		go func() {
			f, err := nodes[i].Open(ctx, res.Cid)
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(h.Sum(nil), want[:]) {
				errs <- errors.New("bytes differ on node " + nodes[i].ID().String())
				return
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadSeek(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	size := int64(5<<20 + 12345)
	data, _ := io.ReadAll(newRandomReader(3, size))
	res, err := n.Import(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	f, err := n.Open(ctx, res.Cid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, off := range []int64{0, 1, ChunkSize - 1, ChunkSize, 3*ChunkSize + 77, size - 1, size - 100} {
		buf := make([]byte, 300)
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		nr, err := io.ReadFull(f, buf)
		if err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && off+int64(nr) == size) {
			t.Fatalf("at %d: %v", off, err)
		}
		if !bytes.Equal(buf[:nr], data[off:off+int64(nr)]) {
			t.Fatalf("at %d: bytes differ", off)
		}
	}
	// WriteTo (what io.Copy uses) from the middle of a block to the end.
	mid := int64(2*ChunkSize + 5)
	f.Seek(mid, io.SeekStart)
	var rest bytes.Buffer
	if nw, err := f.WriteTo(&rest); err != nil || nw != size-mid || !bytes.Equal(rest.Bytes(), data[mid:]) {
		t.Fatalf("WriteTo from %d: %d bytes, %v", mid, nw, err)
	}
	if pos, _ := f.Seek(-10, io.SeekEnd); pos != size-10 {
		t.Fatalf("seek from end gave %d", pos)
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if nr, err := f.Read(make([]byte, 10)); nr != 0 || err != io.EOF {
		t.Fatalf("read at end: %d, %v", nr, err)
	}
}

func TestPinsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := New(ctx, Config{Repo: repo, Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.Import(ctx, newRandomReader(1, 3<<20))
	if err != nil {
		t.Fatal(err)
	}
	id := n.ID()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n2, err := New(ctx, Config{Repo: repo, Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	if n2.ID() != id {
		t.Fatalf("identity changed across restart: %s → %s", id, n2.ID())
	}
	pins, err := n2.Pins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 1 || !pins[0].Cid.Equals(res.Cid) || pins[0].Mode != "recursive" {
		t.Fatalf("pins after restart: %v, want %s recursive", pins, res.Cid)
	}
}

// diskUsage is what du counts: allocated blocks, not apparent sizes
// (Badger preallocates sparse files).
func diskUsage(t testing.TB, dir string) int64 {
	t.Helper()
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			total += st.Blocks * 512
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

func TestGCFreesUnpinnedKeepsPinned(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	pinned, err := n.Import(ctx, newRandomReader(1, 8<<20))
	if err != nil {
		t.Fatal(err)
	}
	const cacheSize = 96 << 20
	cached, err := n.Import(ctx, newRandomReader(2, cacheSize), ImportNoPin())
	if err != nil {
		t.Fatal(err)
	}
	before := diskUsage(t, n.RepoDir())
	res, err := n.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after := diskUsage(t, n.RepoDir())
	t.Logf("du before GC %d MiB, after %d MiB; removed %d blocks, %d MiB", before>>20, after>>20, res.BlocksRemoved, res.BytesRemoved>>20)
	if res.BlocksRemoved < cacheSize/ChunkSize || res.BytesRemoved < cacheSize {
		t.Fatalf("GC removed %d blocks (%d bytes), want the %d-byte unpinned file", res.BlocksRemoved, res.BytesRemoved, cacheSize)
	}
	if before-after < cacheSize*3/4 {
		t.Fatalf("GC freed %d MiB on disk, want most of the %d MiB unpinned file", (before-after)>>20, cacheSize>>20)
	}
	if has, _ := n.blockstore.Has(ctx, cached.Cid); has {
		t.Fatal("unpinned root still stored after GC")
	}
	f, err := n.Open(ctx, pinned.Cid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sha256Of(t, f) != sha256Of(t, newRandomReader(1, 8<<20)) {
		t.Fatal("pinned file damaged by GC")
	}
}

func TestImportTwiceIsIdempotent(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	size := int64(32<<20 + 5)
	first, err := n.Import(ctx, newRandomReader(4, size))
	if err != nil {
		t.Fatal(err)
	}
	du1 := diskUsage(t, n.RepoDir())
	second, err := n.Import(ctx, newRandomReader(4, size))
	if err != nil {
		t.Fatal(err)
	}
	du2 := diskUsage(t, n.RepoDir())
	if !first.Cid.Equals(second.Cid) {
		t.Fatalf("same bytes, two CIDs: %s, %s", first.Cid, second.Cid)
	}
	if du2-du1 > 4<<20 {
		t.Fatalf("second import grew the repo by %d MiB", (du2-du1)>>20)
	}
	pins, _ := n.Pins(ctx)
	if len(pins) != 1 {
		t.Fatalf("%d pins after importing the same file twice", len(pins))
	}
}

func TestImportCancel(t *testing.T) {
	n := newTestNode(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := n.Import(ctx, newRandomReader(5, 64<<20), ImportProgress(func(done, _ int64) {
		if done >= 8<<20 {
			cancel()
		}
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import returned %v", err)
	}
	pins, _ := n.Pins(context.Background())
	if len(pins) != 0 {
		t.Fatalf("cancelled import left pins: %v", pins)
	}
}

func TestImportProgressReportsTotal(t *testing.T) {
	n := newTestNode(t)
	path := filepath.Join(t.TempDir(), "f")
	data, _ := io.ReadAll(newRandomReader(6, 3<<20+1))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lastDone, lastTotal int64
	calls := 0
	_, err = n.Import(context.Background(), f, ImportProgress(func(done, total int64) {
		calls++
		if done < lastDone {
			t.Errorf("progress went backwards: %d after %d", done, lastDone)
		}
		lastDone, lastTotal = done, total
	}))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 4 || lastDone != int64(len(data)) || lastTotal != int64(len(data)) {
		t.Fatalf("progress: %d calls, last %d/%d, want 4 calls ending %d/%d", calls, lastDone, lastTotal, len(data), len(data))
	}
}

func TestRepoLockedAndTooNew(t *testing.T) {
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := New(ctx, Config{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(ctx, Config{Repo: repo})
	if !errors.Is(err, ErrRepoLocked) {
		t.Fatalf("second open: %v, want ErrRepoLocked", err)
	}
	n.Close()
	if err := os.WriteFile(filepath.Join(repo, versionFile), []byte("99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = New(ctx, Config{Repo: repo})
	if !errors.Is(err, ErrRepoTooNew) || !strings.Contains(err.Error(), "99") {
		t.Fatalf("newer repo: %v, want ErrRepoTooNew naming version 99", err)
	}
}

func TestOpenMissingBlockTimesOut(t *testing.T) {
	n := newTestNode(t)
	// sha256 of "nobody has this" as a raw CID.
	c, _ := cid.Decode("bafkreiemqpndzewx4bioklzfvhtiegsfny5fxuc3nkjk2vmcpjxiammsti")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := n.Open(ctx, c)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("open of a CID nobody has: %v, want deadline exceeded", err)
	}
}

func TestPinFetchesFromPeers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, b := newTestNode(t), newTestNode(t)
	res, err := a.Import(ctx, newRandomReader(8, 5<<20+3))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Connect(ctx, addrInfoOver(t, a, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	if err := b.Pin(ctx, res.Cid); err != nil {
		t.Fatal(err)
	}
	if up := a.BytesUploaded(); up < 5<<20 {
		t.Errorf("seeder reports %d bytes uploaded, want at least the 5 MiB file", up)
	}
	if up := b.BytesUploaded(); up != 0 {
		t.Errorf("fetcher reports %d bytes uploaded, want 0", up)
	}
	a.Close() // b must now have every block itself
	if _, err := b.GC(ctx); err != nil {
		t.Fatal(err)
	}
	f, err := b.Open(ctx, res.Cid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sha256Of(t, f) != sha256Of(t, newRandomReader(8, 5<<20+3)) {
		t.Fatal("pinned copy differs")
	}
}

// TestTakenPortFallsBack: the repo remembers its ports; when one is taken
// at start the node listens on a random one and says so in the log.
func TestTakenPortFallsBack(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	if err := InitRepo(repo); err != nil {
		t.Fatal(err)
	}
	r, err := openRepo(repo)
	if err != nil {
		t.Fatal(err)
	}
	port := r.cfg.TCPPort
	r.close()
	if port == 0 {
		t.Fatal("new repo has no TCP port")
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var logs bytes.Buffer
	ctx := context.Background()
	n, err := New(ctx, Config{Repo: repo, Isolated: true}, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, a := range n.Host().Addrs() {
		if p, err := a.ValueForProtocol(ma.P_TCP); err == nil && p == fmt.Sprint(port) {
			t.Fatalf("listening on the taken port %d: %s", port, a)
		}
	}
	addrInfoOver(t, n, ma.P_TCP) // fails the test when there is no TCP address at all
	if !strings.Contains(logs.String(), "port taken") || !strings.Contains(logs.String(), fmt.Sprint(port)) {
		t.Fatalf("log does not mention the taken port %d:\n%s", port, logs.String())
	}
}

// TestIPNSBetweenOurNodes: one node publishes its name, another resolves
// it through the (loopback) DHT and reads the file it points to.
func TestIPNSBetweenOurNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := newTestNode(t)
	b := startNode(t, Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true,
		Bootstrap: []peer.AddrInfo{addrInfoOver(t, a, ma.P_TCP)}})
	waitForLANPeers(t, ctx, a, 1)
	waitForLANPeers(t, ctx, b, 1)
	res, err := a.Import(ctx, newRandomReader(30, 2<<20))
	if err != nil {
		t.Fatal(err)
	}
	name, err := a.PublishName(ctx, res.Cid, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.ResolveName(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != "/ipfs/"+res.Cid.String() {
		t.Fatalf("/ipns/%s resolved to %s, want /ipfs/%s", name, p, res.Cid)
	}
	if _, err := b.ResolveName(ctx, "not a name"); err == nil {
		t.Fatal("a malformed name resolved")
	}
}

func TestEvictRemovesOneUnpinnedDAG(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	pinned, err := n.Import(ctx, newRandomReader(11, 4<<20))
	if err != nil {
		t.Fatal(err)
	}
	victim, err := n.Import(ctx, newRandomReader(12, 6<<20+3), ImportNoPin())
	if err != nil {
		t.Fatal(err)
	}
	other, err := n.Import(ctx, newRandomReader(13, 3<<20), ImportNoPin())
	if err != nil {
		t.Fatal(err)
	}
	// Evicting a pinned root removes nothing.
	if res, err := n.Evict(ctx, pinned.Cid); err != nil || res.BlocksRemoved != 0 {
		t.Fatalf("evict pinned: %+v, %v; want nothing removed", res, err)
	}
	res, err := n.Evict(ctx, victim.Cid)
	if err != nil {
		t.Fatal(err)
	}
	if res.BytesRemoved < 6<<20 || res.BlocksRemoved < 7 {
		t.Fatalf("evict removed %d blocks, %d bytes; want the 6 MiB file", res.BlocksRemoved, res.BytesRemoved)
	}
	if has, _ := n.blockstore.Has(ctx, victim.Cid); has {
		t.Fatal("evicted root still stored")
	}
	for _, keep := range []struct {
		c    cid.Cid
		seed uint64
		size int64
	}{{pinned.Cid, 11, 4 << 20}, {other.Cid, 13, 3 << 20}} {
		f, err := n.Open(ctx, keep.c)
		if err != nil {
			t.Fatal(err)
		}
		if sha256Of(t, f) != sha256Of(t, newRandomReader(keep.seed, keep.size)) {
			t.Fatalf("%s damaged by evicting another file", keep.c)
		}
		f.Close()
	}
	// Evicting what is not stored is not an error.
	if _, err := n.Evict(ctx, victim.Cid); err != nil {
		t.Fatalf("evict again: %v", err)
	}
}
