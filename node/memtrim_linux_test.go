package node

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"testing"
)

// residentFileBytes reads how much file-backed memory this process holds
// (RssFile in /proc/self/status), which is where Badger's mappings count.
func residentFileBytes(t *testing.T) int64 {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("RssFile:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}

// Writing and reading blocks must not leave the datastore's mapped pages
// resident: before the trimmer, importing 256 MiB grew RssFile by ~256 MiB.
// A repo named by a relative path (--repo ./r) used to escape the trimmer:
// /proc/self/maps lists absolute paths.
func TestBlockTrafficKeepsMappedPagesTrimmed(t *testing.T) {
	t.Run("absolute", func(t *testing.T) { checkTrafficTrimmed(t, newTestNode(t)) })
	t.Run("relative", func(t *testing.T) {
		t.Chdir(t.TempDir())
		checkTrafficTrimmed(t, startNode(t, Config{Repo: "repo", Isolated: true}))
	})
}

func checkTrafficTrimmed(t *testing.T, n *Node) {
	const size = 256 << 20
	const allowed = 96 << 20
	ctx := context.Background()

	before := residentFileBytes(t)
	res, err := n.Import(ctx, newRandomReader(7, size))
	if err != nil {
		t.Fatal(err)
	}
	afterImport := residentFileBytes(t)
	if grew := afterImport - before; grew > allowed {
		t.Errorf("importing %d MiB grew resident file pages by %d MiB, want < %d MiB", size>>20, grew>>20, allowed>>20)
	}

	f, err := n.Open(ctx, res.Cid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := io.Copy(io.Discard, f); err != nil || got != size {
		t.Fatalf("read back %d bytes: %v", got, err)
	}
	if grew := residentFileBytes(t) - before; grew > allowed {
		t.Errorf("importing and reading back %d MiB grew resident file pages by %d MiB, want < %d MiB", size>>20, grew>>20, allowed>>20)
	}
	if trims := n.trim.trims.Load(); trims < 8 {
		t.Errorf("%d trims for %d MiB of traffic, want at least 8", trims, 2*size>>20)
	}
}

// Released pages keep their contents: what was imported reads back the
// same after a trim, from this process and after a reopen.
func TestReleasedPagesKeepContents(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	data, _ := io.ReadAll(newRandomReader(8, 40<<20+123))
	res, err := n.Import(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := releaseMappedPages(n.repo.dir + "/" + datastoreDir); err != nil {
		t.Fatal(err)
	}
	f, err := n.Open(ctx, res.Cid)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after release: %d bytes, equal %v, err %v", len(got), bytes.Equal(got, data), err)
	}
}
