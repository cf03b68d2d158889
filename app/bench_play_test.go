package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/ipfs-tube/ipfs-tube/internal/kubotest"
	"github.com/ipfs-tube/ipfs-tube/internal/netshape"
	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
)

// Shaped link for the second half of BenchmarkPlayVsKubo: a home
// connection far from the peer.
const (
	shapedRTT = 40 * time.Millisecond
	shapedBPS = 50_000_000
)

// BenchmarkPlayVsKubo plays a 1 GiB 1080p mp4 (index at the end) with the
// same headless player from (a) a CID only one loopback ipfs-tube peer has
// and (b) a Kubo v0.41.0 gateway whose node has the CID only on one
// loopback Kubo peer. Caches are cold on every run. It reports time to
// first frame and seek latency over 20 random seeks, on plain loopback and
// through a shaping proxy between the peers.
func BenchmarkPlayVsKubo(b *testing.B) {
	const runs = 3
	video := testvideo.Make(b, testvideo.Spec{
		Container: "mp4", Width: 1920, Height: 1080, FPS: 30,
		Duration: 128 * time.Second, VideoBitrate: "64M",
	})
	rng := rand.New(rand.NewPCG(7, 11))
	var fracs []string
	for range 20 {
		fracs = append(fracs, strconv.FormatFloat(0.03+0.92*rng.Float64(), 'f', 4, 64))
	}
	seekArg := strings.Join(fracs, ",")

	for range b.N {
		// ipfs-tube: a seeder daemon; every run a fresh viewer repo.
		seedRepo := filepath.Join(b.TempDir(), "seed")
		seeder := startDaemon(b, seedRepo)
		c := strings.TrimSpace(mustRun(b, seedRepo, "add", video))
		seederTCP := tcpAddr(b, seeder.addrs)
		seederID := seederTCP[strings.LastIndex(seederTCP, "/p2p/")+len("/p2p/"):]
		ours := func(peerAddr string) playFigures {
			return playRuns(b, runs, func() playStats {
				return benchPlay(b, filepath.Join(b.TempDir(), "viewer"), c, seekArg, "--peer", peerAddr)
			})
		}
		oursPlain := ours(seederTCP)
		proxy := shapedProxy(b, seederTCP)
		oursShaped := ours(proxiedAddr(proxy, seederID))
		proxy.Close()
		seeder.stop(b)

		// Kubo: k1 has the file, k2 runs the gateway the player opens.
		k1 := kubotest.StartDaemon(b, kubotest.WithSwarmAddrs("/ip4/127.0.0.1/tcp/0"))
		if kc := k1.Run(b, "add", "-Q", video); kc != c {
			b.Fatalf("Kubo CID %s, ours %s", kc, c)
		}
		kubo := func(peerAddr string) playFigures {
			k2 := kubotest.StartDaemon(b, kubotest.WithSwarmAddrs("/ip4/127.0.0.1/tcp/0"))
			defer k2.Stop()
			k2.Run(b, "swarm", "connect", peerAddr)
			url := k2.GatewayURL() + "/ipfs/" + c
			return playRuns(b, runs, func() playStats {
				k2.Run(b, "repo", "gc")
				return benchPlay(b, filepath.Join(b.TempDir(), "unused"), url, seekArg)
			})
		}
		kuboPlain := kubo(tcpAddr(b, k1.SwarmAddrs))
		kproxy := shapedProxy(b, tcpAddr(b, k1.SwarmAddrs))
		kuboShaped := kubo(proxiedAddr(kproxy, k1.PeerID))
		kproxy.Close()
		k1.Stop()

		fmt.Printf("\nPlayback: 1 GiB 1080p30 mp4 (index at the end), cold caches, %d runs × %d seeks, headless mpv\n", runs, len(fracs))
		fmt.Printf("%-44s %10s %10s %10s\n", "", "TTFF ms", "seek p50", "seek p95")
		row := func(name string, f playFigures) {
			fmt.Printf("%-44s %10.0f %10.0f %10.0f\n", name, f.ttff, f.seekP50, f.seekP95)
		}
		row("loopback: ipfs-tube (CID, own gateway)", oursPlain)
		row("loopback: Kubo gateway URL", kuboPlain)
		fmt.Printf("%-44s %10.2f %10.2f %10.2f\n", "  ratio (floor ≤ 0.5, seek p95 ≤ 250 ms)",
			oursPlain.ttff/kuboPlain.ttff, oursPlain.seekP50/kuboPlain.seekP50, oursPlain.seekP95/kuboPlain.seekP95)
		shaped := fmt.Sprintf("%v RTT, %d Mbit/s", shapedRTT, shapedBPS/1_000_000)
		row(shaped+": ipfs-tube", oursShaped)
		row(shaped+": Kubo gateway URL", kuboShaped)
		block := float64(8<<20) / shapedBPS * 1000
		fmt.Printf("%-44s %10.0f %10.0f %10.0f\n", "  physical bound: 1 MiB block + 1 RTT", block+float64(shapedRTT.Milliseconds()),
			block+float64(shapedRTT.Milliseconds()), block+float64(shapedRTT.Milliseconds()))
		fmt.Println()
		b.ReportMetric(oursPlain.ttff, "ttff-ms")
		b.ReportMetric(kuboPlain.ttff, "kubo-ttff-ms")
		b.ReportMetric(oursPlain.seekP95, "seek-p95-ms")
		b.ReportMetric(kuboPlain.seekP95, "kubo-seek-p95-ms")
	}
}

// playFigures summarises runs: median TTFF and seek percentiles over all
// seeks of all runs, in milliseconds.
type playFigures struct {
	ttff, seekP50, seekP95 float64
}

func playRuns(b *testing.B, runs int, run func() playStats) playFigures {
	var ttffs, seeks []float64
	for range runs {
		st := run()
		ttffs = append(ttffs, st.TTFFms)
		seeks = append(seeks, st.SeeksMs...)
	}
	return playFigures{ttff: percentile(ttffs, 0.5), seekP50: percentile(seeks, 0.5), seekP95: percentile(seeks, 0.95)}
}

// percentile by the nearest-rank method.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// benchPlay runs the headless player once and returns its stats.
func benchPlay(b *testing.B, repo, target, seeks string, extra ...string) playStats {
	args := append([]string{"play", target, "--headless", "--seek", seeks, "--duration", "1ms", "--stats", "--timeout", "10m"}, extra...)
	r := runCLI(b, repo, nil, args...)
	if r.code != 0 {
		b.Fatalf("play %s: exit %d: %s", target, r.code, r.stderr)
	}
	var st playStats
	if err := jsonUnmarshalLine(r.stdout, &st); err != nil {
		b.Fatalf("play stats %q: %v", r.stdout, err)
	}
	if len(st.SeeksMs) != strings.Count(seeks, ",")+1 {
		b.Fatalf("play did %d seeks of %s", len(st.SeeksMs), seeks)
	}
	return st
}

// tcpAddr picks the TCP address among a node's multiaddrs.
func tcpAddr(b *testing.B, addrs []string) string {
	for _, a := range addrs {
		if strings.Contains(a, "/tcp/") && !strings.Contains(a, "/ws") {
			return a
		}
	}
	b.Fatalf("no TCP address in %v", addrs)
	return ""
}

// shapedProxy puts the shaped link in front of a peer's TCP multiaddr.
func shapedProxy(b *testing.B, peerAddr string) *netshape.Proxy {
	m, err := ma.NewMultiaddr(peerAddr)
	if err != nil {
		b.Fatal(err)
	}
	transport, _ := ma.SplitFunc(m, func(c ma.Component) bool { return c.Protocol().Code == ma.P_P2P })
	na, err := manet.ToNetAddr(transport)
	if err != nil {
		b.Fatal(err)
	}
	p, err := netshape.New(context.Background(), na.String(), netshape.Latency(shapedRTT), netshape.Bandwidth(shapedBPS))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

func proxiedAddr(p *netshape.Proxy, id string) string {
	host, port, _ := strings.Cut(p.Addr(), ":")
	return fmt.Sprintf("/ip4/%s/tcp/%s/p2p/%s", host, port, id)
}

// jsonUnmarshalLine decodes the last non-empty line of out.
func jsonUnmarshalLine(out string, v any) error {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return json.Unmarshal([]byte(lines[len(lines)-1]), v)
}
