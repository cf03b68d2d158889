package node

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/ipfs-tube/ipfs-tube/internal/badgerflip"
)

// TestVerifyFindsCorruptBlockOnDisk: a bit flipped on disk in a stored
// 1 MiB leaf is found by VerifyBlocks (that one block, nothing else), and
// VerifyRepair drops it so a second pass is clean.
func TestVerifyFindsCorruptBlockOnDisk(t *testing.T) {
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	data, err := io.ReadAll(newRandomReader(11, 3<<20+5))
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(ctx, Config{Repo: repo, Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Import(ctx, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	// More than a value-log file after it, so the block sits in a closed
	// file: Badger checks the newest file when it opens and cuts it at
	// the first damaged entry, losing every value after it too.
	if _, err := n.Import(ctx, newRandomReader(12, valueLogFileSize+8<<20)); err != nil {
		t.Fatal(err)
	}
	clean, err := n.VerifyBlocks(ctx)
	if err != nil || clean.Bad != 0 || clean.Blocks < 45 {
		t.Fatalf("fresh import: %+v, %v; want 45 or more intact blocks", clean, err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	// The second 1 MiB leaf (raw leaves: its CID is its bytes' hash).
	leaf := data[1<<20 : 2<<20]
	sum, _ := mh.Sum(leaf, mh.SHA2_256, -1)
	leafCid := cid.NewCidV1(cid.Raw, sum)
	badgerflip.Flip(t, filepath.Join(repo, datastoreDir), leaf)

	n, err = New(ctx, Config{Repo: repo, Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	var reported []BadBlock
	res, err := n.VerifyBlocks(ctx, VerifyReport(func(b BadBlock) { reported = append(reported, b) }))
	if err != nil {
		t.Fatal(err)
	}
	if res.Bad != 1 || len(reported) != 1 || !reported[0].Cid.Equals(leafCid) || res.Blocks != clean.Blocks {
		t.Fatalf("verify: %+v, reported %+v; want exactly %s bad of %d", res, reported, leafCid, clean.Blocks)
	}
	if !strings.Contains(reported[0].Reason, "does not match its hash") || reported[0].Removed {
		t.Fatalf("reported %+v; want a hash mismatch, not removed", reported[0])
	}
	if has, _ := n.blockstore.Has(ctx, leafCid); !has {
		t.Fatal("verify without repair removed the block")
	}
	res, err = n.VerifyBlocks(ctx, VerifyRepair())
	if err != nil || res.Bad != 1 || res.Removed != 1 {
		t.Fatalf("repair: %+v, %v; want 1 bad block removed", res, err)
	}
	if has, _ := n.blockstore.Has(ctx, leafCid); has {
		t.Fatal("repair left the corrupt block")
	}
	res, err = n.VerifyBlocks(ctx)
	if err != nil || res.Bad != 0 || res.Blocks != clean.Blocks-1 {
		t.Fatalf("after repair: %+v, %v; want %d intact blocks", res, err, clean.Blocks-1)
	}
}
