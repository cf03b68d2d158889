package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRepoPathNotARepoIsRefusedUntouched: a repo path naming something
// that is not a repo directory is refused with ErrNotRepo and left as it
// was; it used to be deleted and replaced by a fresh repo.
func TestRepoPathNotARepoIsRefusedUntouched(t *testing.T) {
	ctx := context.Background()
	precious := []byte("precious\n")
	for _, tc := range []struct {
		name string
		make func(t *testing.T, path string)
	}{
		{"regular file", func(t *testing.T, path string) {
			mustWrite(t, path, precious)
		}},
		{"symlink to a file", func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "target")
			mustWrite(t, target, precious)
			mustSymlink(t, target, path)
		}},
		{"symlink to a folder of other things", func(t *testing.T, path string) {
			target := t.TempDir()
			mustWrite(t, filepath.Join(target, "notes.txt"), precious)
			mustSymlink(t, target, path)
		}},
		{"dangling symlink", func(t *testing.T, path string) {
			mustSymlink(t, filepath.Join(t.TempDir(), "nowhere"), path)
		}},
		{"folder of other things", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(path, "notes.txt"), precious)
		}},
		{"FIFO", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "repo")
			tc.make(t, path)
			before := snapshot(t, path)
			// A FIFO opened for reading would block: bound the call.
			errc := make(chan error, 1)
			go func() {
				n, err := New(ctx, Config{Repo: path})
				if err == nil {
					n.Close()
				}
				errc <- err
			}()
			var err error
			select {
			case err = <-errc:
			case <-time.After(30 * time.Second):
				t.Fatal("New hung on the path")
			}
			if !errors.Is(err, ErrNotRepo) {
				t.Fatalf("New: %v, want ErrNotRepo", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the path", err)
			}
			if after := snapshot(t, path); after != before {
				t.Fatalf("path changed:\nbefore %s\nafter  %s", before, after)
			}
			// Nothing was left beside it either (no temporary repo).
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Fatalf("the parent folder holds %d entries, want only the path", len(entries))
			}
		})
	}
}

// TestRepoPathEmptyOrLinked: an empty folder becomes a repo, and so does
// a symlink to an empty folder or to a repo (the link stays, the repo
// lives where it points).
func TestRepoPathEmptyOrLinked(t *testing.T) {
	ctx := context.Background()
	open := func(t *testing.T, path string) string {
		t.Helper()
		n, err := New(ctx, Config{Repo: path})
		if err != nil {
			t.Fatal(err)
		}
		id := n.ID().String()
		n.Close()
		return id
	}
	t.Run("empty folder", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "repo")
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		open(t, path)
		if _, err := os.Stat(filepath.Join(path, versionFile)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("symlink to an empty folder", func(t *testing.T) {
		target := filepath.Join(t.TempDir(), "elsewhere")
		if err := os.Mkdir(target, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "repo")
		mustSymlink(t, target, path)
		open(t, path)
		if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("the link was replaced: %v %v", fi, err)
		}
		if _, err := os.Stat(filepath.Join(target, versionFile)); err != nil {
			t.Fatalf("no repo where the link points: %v", err)
		}
	})
	t.Run("symlink to a repo", func(t *testing.T) {
		target := filepath.Join(t.TempDir(), "repo")
		id := open(t, target)
		path := filepath.Join(t.TempDir(), "link")
		mustSymlink(t, target, path)
		if got := open(t, path); got != id {
			t.Fatalf("through the link: peer %s, want the repo's %s", got, id)
		}
	})
}

// TestRepoVersionNotValid: a version file that is not a positive number
// is a damaged repo, not an older one.
func TestRepoVersionNotValid(t *testing.T) {
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := New(ctx, Config{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	for _, tc := range []struct{ content, want string }{
		{"0\n", "repo version 0 is not valid"},
		{"-5\n", "repo version -5 is not valid"},
		{"garbage\n", `repo version "garbage" is not valid`},
		{"", `repo version "" is not valid`},
	} {
		if err := os.WriteFile(filepath.Join(repo, versionFile), []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := New(ctx, Config{Repo: repo})
		if !errors.Is(err, ErrNotRepo) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("version %q: %v; want ErrNotRepo saying %q", tc.content, err, tc.want)
		}
	}
	if err := os.WriteFile(filepath.Join(repo, versionFile), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err = New(ctx, Config{Repo: repo})
	if err != nil {
		t.Fatalf("version 1 again: %v", err)
	}
	n.Close()
}

func mustWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// snapshot describes what is at path without following or opening it,
// plus a regular file's (or a linked file's) contents.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		return "missing: " + err.Error()
	}
	s := fi.Mode().String()
	if fi.Mode()&os.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		s += " -> " + target
		if tfi, err := os.Stat(path); err == nil {
			s += " (" + tfi.Mode().String() + ")"
			fi = tfi
		}
	}
	if fi.Mode().IsRegular() {
		b, _ := os.ReadFile(path)
		s += " " + string(b)
	}
	if fi.IsDir() {
		entries, _ := os.ReadDir(path)
		for _, e := range entries {
			s += " " + e.Name()
		}
	}
	return s
}
