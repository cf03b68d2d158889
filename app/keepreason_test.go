package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/ipfs-tube/ipfs-tube/app/internal/libraryview"
	"github.com/ipfs-tube/ipfs-tube/app/internal/seedview"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// TestKeepReasonAgrees: for every keep reason and their combinations, the
// catalog's one decision (Video.Reason), the Library tile's local badge,
// the Seeding page's list and `ipfs-tube seeding` say the same thing, all
// built from the same catalog records.
func TestKeepReasonAgrees(t *testing.T) {
	const size = 8 << 20
	rows := []struct {
		name   string
		kept   library.KeepReason
		local  int64
		reason library.Reason
		badge  string // the Library tile's local-state badge
		page   string // the Seeding page's reason; "" when not listed
		cli    string // `seeding --json`'s reason; "" when not listed
	}{
		{"own", library.OwnUpload, size, library.ReasonOwn, "Seeding", seedview.ReasonUpload, "own"},
		{"pinned", library.Pinned, size, library.ReasonPinned, "Seeding", seedview.ReasonPinned, "pinned"},
		{"auto-seeded", library.AutoSeeded, size, library.ReasonAutoSeeded, "Seeding", seedview.ReasonPopular, "auto-seeded"},
		{"cache", library.Cache, size, library.ReasonCache, "Cached 100%", "", "cache"},
		{"own+pinned", library.OwnUpload | library.Pinned, size, library.ReasonOwn, "Seeding", seedview.ReasonUpload, "own"},
		{"pinned+auto-seeded", library.Pinned | library.AutoSeeded, size, library.ReasonPinned, "Seeding", seedview.ReasonPinned, "pinned"},
		{"auto-seeded+cache", library.AutoSeeded | library.Cache, size, library.ReasonAutoSeeded, "Seeding", seedview.ReasonPopular, "auto-seeded"},
		{"own+auto-seeded", library.OwnUpload | library.AutoSeeded, size, library.ReasonOwn, "Seeding", seedview.ReasonUpload, "own"},
		{"all four", library.OwnUpload | library.Pinned | library.AutoSeeded | library.Cache, size, library.ReasonOwn, "Seeding", seedview.ReasonUpload, "own"},
		{"pinned, half here", library.Pinned, size / 2, library.ReasonPinned, "Cached 50%", seedview.ReasonPinned, "pinned"},
		{"auto-seeded, fetch not begun", library.AutoSeeded, 0, library.ReasonAutoSeeded, "Not cached", seedview.ReasonPopular, "auto-seeded"},
		{"no bits, half here", 0, size / 2, library.ReasonCache, "Cached 50%", "", "cache"},
		{"cache, evicted", library.Cache, 0, library.ReasonNone, "Not cached", "", ""},
	}

	ctx := context.Background()
	n, err := node.New(ctx, node.Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	cat, err := library.Open(ctx, filepath.Join(t.TempDir(), "library"))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	videos := make([]library.Video, len(rows))
	for i, r := range rows {
		h, err := mh.Sum([]byte(r.name), mh.SHA2_256, -1)
		if err != nil {
			t.Fatal(err)
		}
		videos[i] = library.Video{Cid: cid.NewCidV1(cid.Raw, h), Title: r.name, Size: size, BytesLocal: r.local, Kept: r.kept}
		if err := cat.Put(ctx, videos[i]); err != nil {
			t.Fatal(err)
		}
	}

	b := &localBackend{n: n, cat: cat, quota: 1 << 30}
	rep, err := b.Seeding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cli := map[string]string{}
	for _, v := range rep.Videos {
		cli[v.Cid] = v.Reason
	}
	entries, err := newGUIServices(b, cat, slog.Default()).Seeded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	page := map[string]string{}
	for _, e := range entries {
		page[e.Video.String()] = e.Reason
	}

	for i, r := range rows {
		stored, err := cat.Get(ctx, videos[i].Cid)
		if err != nil {
			t.Fatal(err)
		}
		got := struct {
			reason           library.Reason
			badge, page, cli string
		}{stored.Reason(), libraryview.LocalBadge(stored), page[stored.Cid.String()], cli[stored.Cid.String()]}
		if got.reason != r.reason || got.badge != r.badge || got.page != r.page || got.cli != r.cli {
			t.Errorf("%s: reason %v, Library badge %q, Seeding page %q, CLI %q; want %v, %q, %q, %q",
				r.name, got.reason, got.badge, got.page, got.cli, r.reason, r.badge, r.page, r.cli)
		}
		// Whatever the table says, the three outputs must agree with each
		// other: a complete video is badged "Seeding" exactly when the
		// Seeding page lists it, and the page lists exactly what the CLI
		// reports as kept on purpose, under the same reason.
		complete := stored.BytesLocal >= stored.Size
		if complete && (got.badge == "Seeding") != (got.page != "") {
			t.Errorf("%s: the Library badges it %q but the Seeding page says %q", r.name, got.badge, got.page)
		}
		if want := cliToPage[got.cli]; got.page != want {
			t.Errorf("%s: the Seeding page says %q but the CLI says %q", r.name, got.page, got.cli)
		}
		if got.cli != "" && got.cli != got.reason.String() {
			t.Errorf("%s: the CLI says %q but the catalog decides %q", r.name, got.cli, got.reason)
		}
	}
}

// cliToPage is how the Seeding page names each reason the CLI prints; a
// reason it does not list maps to "".
var cliToPage = map[string]string{"own": seedview.ReasonUpload, "pinned": seedview.ReasonPinned, "auto-seeded": seedview.ReasonPopular}
