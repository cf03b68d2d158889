package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// get -o refuses what it must not replace (a directory, a named pipe, a
// symbolic link) before it fetches anything, and leaves it as it was.
func TestCLIGetRefusesNonRegularTargets(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	p, data := writeRandomFile(t, 300<<10)
	add := runHere(t, repo, nil, "add", p)
	if add.code != exitOK {
		t.Fatalf("add: exit %d: %s", add.code, add.stderr)
	}
	have := strings.TrimSpace(add.stdout)
	dir := t.TempDir()

	t.Run("directory, before fetching", func(t *testing.T) {
		// Nobody has this CID: before the fix get waited the whole
		// --timeout and only then failed to rename onto the directory.
		target := filepath.Join(dir, "adir")
		if err := os.Mkdir(target, 0o755); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		// A repo of its own: a run that hangs must not hold the others'.
		r := runHereWithin(t, 30*time.Second, filepath.Join(t.TempDir(), "repo"), "get", randomCID(t), "-o", target, "--timeout", "10m")
		if r.code != exitUsage || !strings.Contains(r.stderr, "is a directory") {
			t.Fatalf("exit %d, stderr %q; want %d saying it is a directory", r.code, r.stderr, exitUsage)
		}
		t.Logf("refused in %v", time.Since(start))
		if fi, err := os.Lstat(target); err != nil || !fi.IsDir() {
			t.Fatalf("the directory is gone: %v", err)
		}
	})

	t.Run("named pipe", func(t *testing.T) {
		target := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(target, 0o644); err != nil {
			t.Fatal(err)
		}
		r := runHereWithin(t, 30*time.Second, repo, "get", have, "-o", target)
		if r.code != exitUsage || !strings.Contains(r.stderr, "named pipe") || !strings.Contains(r.stderr, "cat CID > PATH") {
			t.Fatalf("exit %d, stderr %q; want %d refusing the named pipe and pointing at cat", r.code, r.stderr, exitUsage)
		}
		if fi, err := os.Lstat(target); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
			t.Fatalf("the named pipe was replaced: %v, %v", fi.Mode(), err)
		}
	})

	t.Run("symbolic link to a regular file", func(t *testing.T) {
		real := filepath.Join(dir, "real")
		if err := os.WriteFile(real, []byte("keep me"), 0o644); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dir, "link")
		if err := os.Symlink(real, target); err != nil {
			t.Fatal(err)
		}
		r := runHereWithin(t, 30*time.Second, repo, "get", have, "-o", target)
		if r.code != exitUsage || !strings.Contains(r.stderr, "symbolic link") {
			t.Fatalf("exit %d, stderr %q; want %d refusing the symbolic link", r.code, r.stderr, exitUsage)
		}
		if fi, err := os.Lstat(target); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("the link was replaced: %v, %v", fi.Mode(), err)
		}
		if got, _ := os.ReadFile(real); string(got) != "keep me" {
			t.Fatalf("the linked file changed: %q", got)
		}
	})

	t.Run("missing directory, before fetching", func(t *testing.T) {
		target := filepath.Join(dir, "no-such-dir", "out")
		r := runHereWithin(t, 30*time.Second, filepath.Join(t.TempDir(), "repo"), "get", randomCID(t), "-o", target, "--timeout", "10m")
		if r.code != exitUsage || !strings.Contains(r.stderr, "no such file") {
			t.Fatalf("exit %d, stderr %q; want %d saying the directory is missing", r.code, r.stderr, exitUsage)
		}
	})

	t.Run("regular file is replaced", func(t *testing.T) {
		target := filepath.Join(dir, "old")
		if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if r := runHere(t, repo, nil, "get", have, "-o", target); r.code != exitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if got, _ := os.ReadFile(target); !bytes.Equal(got, data) {
			t.Fatal("get did not replace the regular file with the content")
		}
	})
}

// The mode decision, with a real character device where the test may
// make one (mknod needs root, as in CI).
func TestGetTargetModes(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkGetTarget(regular); err != nil {
		t.Fatalf("regular file refused: %v", err)
	}
	if err := checkGetTarget(filepath.Join(dir, "new")); err != nil {
		t.Fatalf("new file refused: %v", err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := checkGetTarget(dangling); exitCode(err) != exitUsage {
		t.Fatalf("dangling link: %v, want a usage error", err)
	}
	if err := checkGetTarget(filepath.Join(regular, "under-a-file")); exitCode(err) != exitUsage {
		t.Fatalf("a file's path as directory: %v, want a usage error", err)
	}
	for m, want := range map[fs.FileMode]string{
		fs.ModeSocket:                     "socket",
		fs.ModeDevice:                     "device",
		fs.ModeDevice | fs.ModeCharDevice: "device",
		fs.ModeIrregular:                  "not a regular file",
	} {
		if got := refusedTarget(m); !strings.Contains(got, want) {
			t.Errorf("mode %v: %q, want it to say %q", m, got, want)
		}
	}

	t.Run("character device", func(t *testing.T) {
		dev := filepath.Join(dir, "null")
		// 1,3 is /dev/null's number: harmless even if opened.
		if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			if errors.Is(err, syscall.EPERM) {
				t.Skip("needs root: mknod of a character device:", err)
			}
			t.Fatal(err)
		}
		err := checkGetTarget(dev)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "a device") {
			t.Fatalf("character device: %v, want a usage error saying it is a device", err)
		}
	})
}
