package node

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	mh "github.com/multiformats/go-multihash"
)

const crashChildEnv = "IPFS_TUBE_CRASH_CHILD_REPO"
const crashSize = 1 << 30

// TestMain lets tests re-run this binary as another process: the import to
// kill (crash test) or a seeder whose memory is not the test's.
func TestMain(m *testing.M) {
	if repo := os.Getenv(crashChildEnv); repo != "" {
		crashChild(repo)
		return
	}
	if spec := os.Getenv(seederHelperEnv); spec != "" {
		seederChild(spec)
		return
	}
	os.Exit(m.Run())
}

// crashChild imports a large file and reports progress on stdout, one line
// per chunk, until it is killed.
func crashChild(repo string) {
	ctx := context.Background()
	n, err := New(ctx, Config{Repo: repo, Isolated: true})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(os.Stdout, 64)
	_, err = n.Import(ctx, newRandomReader(9, crashSize), ImportProgress(func(done, _ int64) {
		fmt.Fprintln(w, "P", done)
		w.Flush()
	}))
	fmt.Println("DONE", err)
	os.Exit(0)
}

// TestImportSurvivesSIGKILL kills an import below half way and checks the
// repo opens, every stored block matches its hash, and the file is either
// pinned and whole or absent.
func TestImportSurvivesSIGKILL(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+repo)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var done int64
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "P ") {
			t.Fatalf("child said %q", line)
		}
		done, _ = strconv.ParseInt(strings.TrimPrefix(line, "P "), 10, 64)
		if done >= crashSize/5 {
			break
		}
	}
	// The child blocks on its next progress line until we read it, so it
	// cannot have gone much past what it last reported.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if done >= crashSize/2 {
		t.Fatalf("killed at %d bytes, not below half way", done)
	}
	t.Logf("killed at %d MiB of %d MiB", done>>20, crashSize>>20)

	ctx := context.Background()
	n, err := New(ctx, Config{Repo: repo, Isolated: true})
	if err != nil {
		t.Fatalf("repo does not open after SIGKILL: %v", err)
	}
	defer n.Close()
	keys, err := n.blockstore.AllKeysChan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for c := range keys {
		blk, err := n.blockstore.Get(ctx, c)
		if err != nil {
			t.Fatalf("block %s listed but unreadable: %v", c, err)
		}
		sum, err := mh.Sum(blk.RawData(), c.Prefix().MhType, -1)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sum, c.Hash()) {
			t.Fatalf("block %s is corrupt", c)
		}
		count++
	}
	t.Logf("%d blocks re-hashed, all intact", count)
	pins, err := n.Pins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 0 {
		t.Fatalf("a killed import left pins: %v", pins)
	}
	if _, err := n.GC(ctx); err != nil {
		t.Fatalf("GC after crash: %v", err)
	}
}
