package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/ipfs-tube/ipfs-tube/internal/badgerflip"
)

// TestCLIRepoPathNotARepo: `--repo` or IPFS_TUBE_REPO naming a file, a
// symlink to one or a FIFO is refused with exit code 4 and left as it
// was (it used to be deleted and replaced by a new repo, exit 0).
func TestCLIRepoPathNotARepo(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, r result) {
		t.Helper()
		if r.code != exitRepo || !strings.Contains(r.stderr, "not a usable IPFS-Tube repo") {
			t.Fatalf("exit %d, %q; want %d saying it is not a repo", r.code, r.stderr, exitRepo)
		}
		if got, err := os.ReadFile(file); err != nil || string(got) != "precious\n" {
			t.Fatalf("the file now holds %q (%v)", got, err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("the symlink is gone: %v", err)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("the FIFO is gone: %v", err)
		}
	}
	for _, p := range []string{file, link, fifo} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			check(t, runCLI(t, p, nil, "pin", "ls"))
		})
	}
	t.Run("IPFS_TUBE_REPO", func(t *testing.T) {
		cmd := exec.Command(binPath, "pin", "ls", "--isolated")
		cmd.Env = append(os.Environ(), "IPFS_TUBE_REPO="+file)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		r := result{stderr: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		}
		check(t, r)
	})
}

// TestCLIRepoVersionNotValid: a version file reading 0 is a damaged repo
// (exit code 4), not an older one that opens.
func TestCLIRepoVersionNotValid(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	mustRun(t, repo, "id")
	if err := os.WriteFile(filepath.Join(repo, "version"), []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, repo, nil, "pin", "ls")
	if r.code != exitRepo || !strings.Contains(r.stderr, "repo version 0 is not valid") {
		t.Fatalf("exit %d, %q; want %d saying repo version 0 is not valid", r.code, r.stderr, exitRepo)
	}
}

// TestCLIRepoVerify: a bit flipped on disk in one stored 1 MiB leaf is
// listed by `repo verify` (that block only, exit code 1); `--repair`
// drops it; a second verify is clean; the file then comes back whole from
// a peer. While a daemon holds a repo, verify says so (exit code 4).
func TestCLIRepoVerify(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	p, data := writeRandomFile(t, 3<<20+5)
	c := strings.TrimSpace(mustRun(t, repo, "add", p))
	// A value-log file's worth after it, so the leaf sits in a closed
	// file: Badger cuts a damaged newest file short when it opens.
	filler, _ := writeRandomFile(t, 40<<20)
	mustRun(t, repo, "add", filler)
	if out := mustRun(t, repo, "repo", "verify"); !strings.Contains(out, "all intact") {
		t.Fatalf("fresh repo: %q", out)
	}
	leaf := data[1<<20 : 2<<20]
	sum, _ := mh.Sum(leaf, mh.SHA2_256, -1)
	leafCid := cid.NewCidV1(cid.Raw, sum).String()
	badgerflip.Flip(t, filepath.Join(repo, "datastore"), leaf)

	r := runCLI(t, repo, nil, "repo", "verify")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != exitFailure || len(lines) != 2 || !strings.HasPrefix(lines[0], leafCid+" corrupt: data does not match its hash") ||
		!strings.HasSuffix(lines[1], ": 1 corrupt block") {
		t.Fatalf("verify: exit %d, %q, %q; want exit 1 listing %s alone", r.code, r.stdout, r.stderr, leafCid)
	}
	r = runCLI(t, repo, nil, "repo", "verify", "--repair")
	if r.code != exitFailure || !strings.Contains(r.stdout, leafCid+" corrupt") || !strings.Contains(r.stdout, "removed 1 corrupt block") {
		t.Fatalf("verify --repair: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if out := mustRun(t, repo, "repo", "verify"); !strings.Contains(out, "all intact") {
		t.Fatalf("after repair: %q", out)
	}

	// A peer holding the file sends the dropped block again.
	peerRepo := filepath.Join(t.TempDir(), "peer")
	mustRun(t, peerRepo, "add", p)
	d := startDaemon(t, peerRepo)
	if got := mustRun(t, repo, "cat", c, "--peer", d.addrs[0], "--timeout", "60s"); got != string(data) {
		t.Fatal("cat after repair gave different bytes")
	}
	if out := mustRun(t, repo, "repo", "verify"); !strings.Contains(out, "all intact") {
		t.Fatalf("after refetch: %q", out)
	}
	r = runCLI(t, peerRepo, nil, "repo", "verify")
	if r.code != exitRepo || !strings.Contains(r.stderr, "stop the app or daemon first") {
		t.Fatalf("verify of a held repo: exit %d, %q; want %d", r.code, r.stderr, exitRepo)
	}
}

// TestDaemonStopsOnStorageFailure: a daemon whose repo is removed under it
// ends within 10 s of SIGTERM, and without a signal ends on its own with a
// storage error and a non-zero exit code. It used to ignore SIGTERM for
// good while Badger retried a flush into the removed folder.
func TestDaemonStopsOnStorageFailure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		signal bool
		bound  time.Duration
	}{
		{"SIGTERM", true, 10 * time.Second},
		// Noticed within 2 s, then at most 3 s to shut down.
		{"on its own", false, 15 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), "repo")
			d := startDaemon(t, repo)
			p, _ := writeRandomFile(t, 3<<20)
			mustRun(t, repo, "add", p) // through the daemon: its stores hold unflushed writes
			if err := os.RemoveAll(repo); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if tc.signal {
				d.cmd.Process.Signal(syscall.SIGTERM)
			}
			done := make(chan error, 1)
			go func() { done <- d.cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(tc.bound):
				d.cmd.Process.Kill()
				<-done // its stderr is complete only now
				t.Fatalf("daemon still running %s after its repo was removed: %s", tc.bound, d.errb)
			}
			t.Logf("exited after %v: %v", time.Since(start).Round(time.Millisecond), err)
			ee, ok := err.(*exec.ExitError)
			if tc.signal {
				if ok && !ee.Exited() {
					t.Fatalf("ended by a signal, not by exiting: %v", err)
				}
				return
			}
			if !ok || ee.ExitCode() != exitFailure || !strings.Contains(d.errb.String(), "storage failed") {
				t.Fatalf("exit %v; want exit code 1 and a storage failure in: %s", err, d.errb)
			}
		})
	}
}
