package main

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/boxo/gateway"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// BenchmarkGatewayFallback: no peers, only gateways. Time to first frame
// over 20 cold runs (fresh repo, fresh ranking) with four gateways — one
// good, one slow, one dead, one lying — against the good gateway alone,
// and against boxo's remote blocks backend over the same four, which picks
// a gateway at random for every block.
func BenchmarkGatewayFallback(b *testing.B) {
	const runs = 20
	ctx := context.Background()
	video := testvideo.Make(b, testvideo.Spec{Container: "mp4", Width: 1280, Height: 720, FPS: 30, Duration: 20 * time.Second, VideoBitrate: "8M"})
	origin, err := node.New(ctx, node.Config{Repo: filepath.Join(b.TempDir(), "origin"), Isolated: true})
	if err != nil {
		b.Fatal(err)
	}
	defer origin.Close()
	c := importFile(b, origin, video).String()
	h, err := origin.TrustlessHandler()
	if err != nil {
		b.Fatal(err)
	}
	good := serve(b, h)
	slow := serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond) // the fault under test: a far, slow gateway
		h.ServeHTTP(w, r)
	}))
	liar := serve(b, lyingHandler(h))
	dead := deadURL(b)
	four := []string{good, slow, dead, liar}

	remote, err := gateway.NewRemoteBlocksBackend(four, nil)
	if err != nil {
		b.Fatal(err)
	}
	boxo := serve(b, gateway.NewHandler(gateway.Config{DeserializedResponses: true}, remote))

	for range b.N {
		play := func(target string, extra ...string) []float64 {
			var ttffs []float64
			for range runs {
				args := append([]string{"play", target, "--headless", "--duration", "1ms", "--stats", "--timeout", "60s"}, extra...)
				r := runCLI(b, filepath.Join(b.TempDir(), "viewer"), nil, args...)
				var st playStats
				if r.code != 0 || jsonUnmarshalLine(r.stdout, &st) != nil || st.TTFFms <= 0 {
					ttffs = append(ttffs, 60_000) // a failed run counts as the timeout
					continue
				}
				ttffs = append(ttffs, st.TTFFms)
			}
			return ttffs
		}
		mixed := play(c, "--gateways", strings.Join(four, ","))
		alone := play(c, "--gateways", good)
		random := play(boxo + "/ipfs/" + c)

		fmt.Printf("\nTime to first frame, no peers, %d cold runs (720p mp4, index at the end):\n", runs)
		fmt.Printf("%-58s %9s %9s  (a failed run counts as 60 s)\n", "", "p50 ms", "p95 ms")
		row := func(name string, xs []float64) {
			failed := 0
			for _, x := range xs {
				if x >= 60_000 {
					failed++
				}
			}
			fmt.Printf("%-58s %9.0f %9.0f  (%d of %d runs failed)\n", name, percentile(xs, 0.5), percentile(xs, 0.95), failed, len(xs))
		}
		row("ipfs-tube, four gateways (good, slow, dead, liar)", mixed)
		row("ipfs-tube, the good gateway alone", alone)
		row("boxo remote blocks backend, same four (random per block)", random)
		fmt.Printf("%-58s %9.2f\n", "  four / good alone, p50 (floor ≤ 1.3)", percentile(mixed, 0.5)/percentile(alone, 0.5))
		fmt.Printf("%-58s %9s %9.2f\n\n", "  ours / boxo, p95 (floor < 1)", "", percentile(mixed, 0.95)/percentile(random, 0.95))
		b.ReportMetric(percentile(mixed, 0.5), "four-p50-ms")
		b.ReportMetric(percentile(alone, 0.5), "good-p50-ms")
		b.ReportMetric(percentile(random, 0.95), "boxo-p95-ms")
	}
}

func serve(b *testing.B, h http.Handler) string {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}

// deadURL is a loopback address nothing listens on: connection refused.
func deadURL(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// lyingHandler serves wrong bytes (one flipped) for about a third of the
// raw blocks it is asked for, the rest honestly.
func lyingHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash := fnv.New32a()
		hash.Write([]byte(r.URL.Path))
		if hash.Sum32()%3 != 0 {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := bytes.Clone(rec.Body.Bytes())
		if len(body) > 0 {
			body[len(body)/2] ^= 0xff
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}
