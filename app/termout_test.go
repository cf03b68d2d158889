package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/library"
)

// hostileTitle is a title a peer could put in its video.json.
const hostileTitle = "Cats\x1b[2J\rEVIL\x07 \u202Egnp.exe\x1b]0;owned\x07!"

// `seeding` prints remote titles without their terminal controls; with
// --json the title comes through exactly, escaped.
func TestCLISeedingStripsTerminalControls(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	if r := runHere(t, repo, nil, "id"); r.code != exitOK {
		t.Fatalf("id: exit %d: %s", r.code, r.stderr)
	}
	c, err := cid.Decode(randomCID(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cat, err := library.Open(ctx, catalogDir(repo))
	if err != nil {
		t.Fatal(err)
	}
	err = cat.Put(ctx, library.Video{Cid: c, Title: hostileTitle, Size: 1000, BytesLocal: 1000, Kept: library.Pinned})
	if cerr := cat.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	r := runHere(t, repo, nil, "seeding")
	if r.code != exitOK {
		t.Fatalf("seeding: exit %d: %s", r.code, r.stderr)
	}
	assertNoTerminalControls(t, "seeding", r.stdout, "\n")
	if !strings.Contains(r.stdout, "Cats EVIL gnp.exe!") {
		t.Fatalf("seeding lost the title's text:\n%s", r.stdout)
	}

	r = runHere(t, repo, nil, "seeding", "--json")
	if r.code != exitOK {
		t.Fatalf("seeding --json: exit %d: %s", r.code, r.stderr)
	}
	assertNoTerminalControls(t, "seeding --json", r.stdout, "\n")
	var rep seedingReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Videos) != 1 || rep.Videos[0].Title != hostileTitle {
		t.Fatalf("seeding --json: videos %+v, want the title exactly", rep.Videos)
	}
}

// assertNoTerminalControls fails when out holds a control character
// (other than those in allowed), DEL, a C1 control or a bidi control.
func assertNoTerminalControls(t *testing.T, what, out, allowed string) {
	t.Helper()
	for _, r := range out {
		bad := (r < 0x20 && !strings.ContainsRune(allowed, r)) || (r >= 0x7f && r <= 0x9f) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
		if bad {
			t.Fatalf("%s printed control %U:\n%q", what, r, out)
		}
	}
}
