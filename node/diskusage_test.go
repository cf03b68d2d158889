package node

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// duBytes asks the system's du for the allocated bytes under dir.
func duBytes(t *testing.T, dir string) int64 {
	t.Helper()
	out, err := exec.Command("du", "-s", "--block-size=1", dir).Output()
	if err != nil {
		t.Skipf("GNU du not available: %v", err)
	}
	n, err := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDiskUsageCountsAllocatedBlocksLikeDu(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("compares with GNU du")
	}
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("dense", bytes.Repeat([]byte{7}, 3<<20+123))
	write("sub/deeper/small", []byte("x"))
	write("sub/empty", nil)
	// A sparse file like Badger's preallocated value log: 1 GiB apparent,
	// 64 KiB written.
	sparse, err := os.Create(filepath.Join(dir, "sub", "sparse.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sparse.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	if _, err := sparse.WriteAt(bytes.Repeat([]byte{1}, 64<<10), 500<<20); err != nil {
		t.Fatal(err)
	}
	sparse.Close()
	// A hard link counts once, a symlink is not followed.
	if err := os.Link(filepath.Join(dir, "dense"), filepath.Join(dir, "sub", "dense-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "dense"), filepath.Join(dir, "sub", "dense-symlink")); err != nil {
		t.Fatal(err)
	}

	got, err := DiskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := duBytes(t, dir)
	if got != want {
		t.Errorf("DiskUsage = %d, du says %d", got, want)
	}
	if got < 3<<20+64<<10 || got > 8<<20 {
		t.Errorf("DiskUsage = %d: want the 3 MiB file and 64 KiB of the sparse one, once each", got)
	}
}

func TestDiskUsageMissingDir(t *testing.T) {
	if _, err := DiskUsage(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("DiskUsage of a missing directory succeeded")
	}
	if _, _, err := FreeSpace(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("FreeSpace of a missing directory succeeded")
	}
}

// A repo's disk use follows what it stores: tiny when empty (Badger's
// preallocated files are sparse), growing by what an import writes.
func TestDiskUsageOfRepo(t *testing.T) {
	n := newTestNode(t)
	empty, err := DiskUsage(n.RepoDir())
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" {
		if du := duBytes(t, n.RepoDir()); du != empty {
			t.Errorf("empty repo: DiskUsage %d, du %d", empty, du)
		}
	}
	if _, err := n.Import(context.Background(), newRandomReader(3, 24<<20)); err != nil {
		t.Fatal(err)
	}
	full, err := DiskUsage(n.RepoDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("empty repo %d KiB; after importing 24 MiB %.1f MiB", empty>>10, float64(full)/(1<<20))
	if empty > 1<<20 {
		t.Errorf("an empty repo takes %d KiB", empty>>10)
	}
	if grew := full - empty; grew < 24<<20 || grew > 30<<20 {
		t.Errorf("importing 24 MiB grew disk use by %.1f MiB", float64(grew)/(1<<20))
	}
}

// DiskUsage must be cheap enough to sample every 100 ms: a repo of 1 TiB
// in 32 MiB value-log files has ~32,000 files; 5,000 is the size of a big
// desktop cache.
func TestDiskUsageSpeed(t *testing.T) {
	dir := t.TempDir()
	const files = 5000
	for i := range files {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", i%50))
		if i < 50 {
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("%06d.vlog", i)), []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := DiskUsage(dir); err != nil { // warm the dentry cache, as sampling does
		t.Fatal(err)
	}
	const rounds = 10
	start := time.Now()
	for range rounds {
		if _, err := DiskUsage(dir); err != nil {
			t.Fatal(err)
		}
	}
	per := time.Since(start) / rounds
	t.Logf("DiskUsage of %d files: %v", files, per)
	limit := 50 * time.Millisecond
	if raceEnabled {
		limit *= 4
	}
	if per > limit {
		t.Errorf("DiskUsage of %d files took %v, want < %v to sample every 100 ms", files, per, limit)
	}
}

func TestFreeSpaceMatchesDf(t *testing.T) {
	dir := t.TempDir()
	free, total, err := FreeSpace(dir)
	if err != nil {
		t.Fatal(err)
	}
	if total <= 0 || free < 0 || free > total {
		t.Fatalf("free %d of %d", free, total)
	}
	if runtime.GOOS != "linux" {
		return
	}
	out, err := exec.Command("df", "--block-size=1", "--output=avail,size", dir).Output()
	if err != nil {
		t.Skipf("GNU df not available: %v", err)
	}
	fields := strings.Fields(string(out))
	dfFree, _ := strconv.ParseInt(fields[len(fields)-2], 10, 64)
	dfTotal, _ := strconv.ParseInt(fields[len(fields)-1], 10, 64)
	if total != dfTotal {
		t.Errorf("total %d, df says %d", total, dfTotal)
	}
	// Others write to the same disk meanwhile.
	if diff := free - dfFree; diff > 256<<20 || diff < -256<<20 {
		t.Errorf("free %d, df says %d", free, dfFree)
	}
}
