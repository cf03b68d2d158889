package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multiaddr"

	"github.com/ipfs-tube/ipfs-tube/node"
)

// Issue 14: a daemon without --auto-seed serves what `ipfs-tube add`
// imported and must tell the network, or no volunteer ever learns the
// video is watched. Its engine runs with seeding off and announces the
// added file (a pin the catalog does not know) on gossip, where a peer
// hears it.
func TestDaemonAnnouncesCLIAddedVideo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	listener, err := node.New(ctx, node.Config{Repo: filepath.Join(t.TempDir(), "listener"), Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	if err := listener.Start(ctx); err != nil {
		t.Fatal(err)
	}
	p2p, err := multiaddr.NewComponent("p2p", listener.ID().String())
	if err != nil {
		t.Fatal(err)
	}
	listenerAddr := listener.Addrs()[0].Encapsulate(p2p)

	repo := filepath.Join(t.TempDir(), "publisher")
	file := filepath.Join(t.TempDir(), "video.bin")
	data := make([]byte, 3<<20)
	rand.Read(data)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, repo, nil, "add", file)
	if r.code != 0 {
		t.Fatalf("add: exit %d: %s", r.code, r.stderr)
	}
	video, err := cid.Decode(strings.TrimSpace(r.stdout))
	if err != nil {
		t.Fatalf("add printed %q: %v", r.stdout, err)
	}

	d := startDaemon(t, repo, "--peer", listenerAddr.String())
	start := time.Now()
	// The engine's first round runs at start and the next a minute later:
	// one of them reaches the listener.
	deadline := start.Add(100 * time.Second)
	for listener.Heard()[video].Providers == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon never announced the added video: heard %+v; daemon log:\n%s", listener.Heard(), d.errb)
		}
		<-time.After(50 * time.Millisecond)
	}
	t.Logf("heard the daemon announce the added video %v after its start", time.Since(start).Round(time.Millisecond))
	d.stop(t)
}

// syncBuffer is a buffer a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Issue 14: a volunteer daemon with default settings says in its log,
// without -v, what each auto-seeding round decided; its first round runs
// at start and, having heard nothing, says so.
func TestDaemonLogsAutoSeedRound(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "volunteer")
	cmd := exec.Command(binPath, "daemon", "--isolated", "--repo", repo, "--auto-seed", "--quota", "100MB")
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), `msg="auto-seed round"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no auto-seed round line within 60 s of the start; log:\n%s", logs)
		}
		<-time.After(50 * time.Millisecond)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `msg="auto-seed round"`) {
			line = l
			break
		}
	}
	if !strings.Contains(line, "level=INFO") || !strings.Contains(line, `decision="nothing: no demand heard"`) {
		t.Fatalf("round line %q, want an info line saying no demand was heard", line)
	}
}
