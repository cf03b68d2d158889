package publish_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/internal/uploadtest"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/library/publish"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// rig is an uploader over a real node and a real catalog, both in the
// test's temporary directory. The node is never started: importing and
// publishing work on local blocks, and nothing here needs peers.
type rig struct {
	node *node.Node
	cat  *library.Catalog
	up   *publish.Service
}

func newRig(t *testing.T) *rig {
	n, cat := uploadtest.Backend(t)
	return &rig{node: n, cat: cat, up: uploadtest.Service(n, cat)}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// bigVideo is about 8 MiB: several 1 MiB chunks, so imports report
// progress more than once and can be cancelled midway.
var bigVideo = testvideo.Spec{Duration: 8 * time.Second, VideoBitrate: "8M"}

func (r *rig) readFile(t *testing.T, c cid.Cid) []byte {
	t.Helper()
	f, err := r.node.Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUploadPublishesDirectoryAndCatalogEntry(t *testing.T) {
	r := newRig(t)
	ctx := testCtx(t)
	path := uploadtest.VideoAs(t, bigVideo, "My_Holiday.2024.mp4")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	var reports []publish.Progress
	start := time.Now()
	res, err := r.up.Upload(ctx, path, func(p publish.Progress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("uploaded %d bytes in %v: file %s dir %s", res.Size, time.Since(start).Round(time.Millisecond), res.File, res.Dir)

	// The file CID is what a plain import of the same bytes gives.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := r.node.Import(ctx, f, node.ImportNoPin())
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !res.File.Equals(plain.Cid) {
		t.Errorf("upload file CID %s, plain import %s", res.File, plain.Cid)
	}
	if res.Size != fi.Size() || res.Title != "My Holiday 2024" || res.Name != "My_Holiday.2024.mp4" {
		t.Errorf("result size %d (file %d), title %q, name %q", res.Size, fi.Size(), res.Title, res.Name)
	}
	if res.Width != 640 || res.Height != 360 || res.Duration < 7900*time.Millisecond || res.Duration > 8100*time.Millisecond {
		t.Errorf("result %dx%d, %v; want 640x360, 8s", res.Width, res.Height, res.Duration)
	}

	// The directory: the video under its name, poster.jpg, video.json.
	v, err := r.node.ResolveVideo(ctx, res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Cid.Equals(res.File) || v.Name != res.Name || !v.Poster.Equals(res.Poster) || !res.Poster.Defined() {
		t.Errorf("directory plays %s as %q with poster %s; want %s, %q, %s", v.Cid, v.Name, v.Poster, res.File, res.Name, res.Poster)
	}
	posterCid, err := r.node.ResolvePath(ctx, res.Dir, node.PosterFile)
	if err != nil || !posterCid.Equals(res.Poster) {
		t.Errorf("poster.jpg: %s, %v; want %s", posterCid, err, res.Poster)
	}
	poster := r.readFile(t, res.Poster)
	if !bytes.Equal(poster, res.PosterJPEG) {
		t.Error("poster.jpg differs from the result's poster")
	}
	img, err := jpeg.Decode(bytes.NewReader(poster))
	if err != nil {
		t.Fatalf("poster.jpg: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 360 {
		t.Errorf("poster is %v, want 640x360", b)
	}
	metaCid, err := r.node.ResolvePath(ctx, res.Dir, node.MetadataFile)
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(r.readFile(t, metaCid), &meta); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"version": 1.0, "title": "My Holiday 2024", "video": res.Name, "cid": res.File.String(),
		"poster": node.PosterFile, "width": 640.0, "height": 360.0, "mime": "video/mp4",
	} {
		if meta[k] != want {
			t.Errorf("video.json %s = %v, want %v", k, meta[k], want)
		}
	}
	if d, _ := meta["duration_s"].(float64); d < 7.9 || d > 8.1 {
		t.Errorf("video.json duration_s = %v, want 8", meta["duration_s"])
	}

	// The catalog: an own upload with everything the library shows.
	got, err := r.cat.Get(ctx, res.File)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Kept.Has(library.OwnUpload) || !got.Dir.Equals(res.Dir) || !got.Poster.Equals(res.Poster) ||
		got.Title != res.Title || got.Duration != res.Duration || got.Width != 640 || got.Height != 360 ||
		got.Size != fi.Size() || got.Added.IsZero() {
		t.Errorf("catalog entry %+v does not match result %+v", got, res)
	}
	pins := uploadtest.Pins(t, r.node)
	if !pins[res.File] || !pins[res.Dir] {
		t.Errorf("pins %v: want file %s and dir %s", pins, res.File, res.Dir)
	}

	// publish.Progress: phases in order, bytes only growing, ending at the size.
	if len(reports) < 4 {
		t.Fatalf("only %d progress reports: %+v", len(reports), reports)
	}
	var last publish.Progress
	importing := 0
	for i, p := range reports {
		if p.Phase < last.Phase || p.Done < last.Done || p.Total != fi.Size() {
			t.Errorf("report %d %+v after %+v", i, p, last)
		}
		if p.Phase == publish.PhaseImporting && p.Done > 0 {
			importing++
		}
		last = p
	}
	if last.Phase != publish.PhaseDone || last.Done != fi.Size() || last.Fraction() != 1 {
		t.Errorf("last report %+v", last)
	}
	if importing < 1 {
		t.Errorf("no importing progress with bytes: %+v", reports)
	}
}

func TestUploadRejectsBadInputsBeforeImporting(t *testing.T) {
	r := newRig(t)
	ctx := testCtx(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "stream.mp4")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "Holiday videos")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	// A symlink loop fails to open for everyone, root included, so the
	// unreadable case is tested on every machine; chmod 000 is tested too
	// where the tests do not run as root (root reads any file).
	link("loop-b.mp4", filepath.Join(dir, "loop-a.mp4"))
	loop := link("loop-a.mp4", filepath.Join(dir, "loop-b.mp4"))

	cases := []struct {
		name, path string
		want       error
		says       string
	}{
		{"text file", write("notes.txt", []byte(strings.Repeat("not a video at all\n", 100))), publish.ErrNotVideo, "not a video"},
		{"picture", write("photo.mp4", []byte("\x89PNG\r\n\x1a\n")), publish.ErrNotVideo, "“photo.mp4”"},
		{"sound only", testvideo.Make(t, testvideo.Spec{AudioOnly: true, Duration: 2 * time.Second}), publish.ErrNotVideo, "sound but no picture"},
		{"empty", write("empty.mp4", nil), publish.ErrEmpty, "empty (0 bytes)"},
		{"folder", folder, publish.ErrFolder, "“Holiday videos” is a folder"},
		{"missing", filepath.Join(dir, "gone.mp4"), publish.ErrMissing, "not there any more"},
		{"dangling link", link("shortcut.mp4", filepath.Join(dir, "nowhere.mp4")), publish.ErrMissing, "shortcut"},
		{"symlink loop", loop, publish.ErrUnreadable, "points back at itself"},
		{"pipe", fifo, publish.ErrUnreadable, "not a regular file"},
	}
	if os.Geteuid() != 0 {
		locked := write("locked.mp4", []byte("secret"))
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			name, path string
			want       error
			says       string
		}{"no permission", locked, publish.ErrUnreadable, "permission denied"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			called := map[publish.Phase]bool{}
			_, err := r.up.Upload(ctx, tc.path, func(p publish.Progress) { called[p.Phase] = true })
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var in *publish.InputError
			if !errors.As(err, &in) {
				t.Fatalf("error %T is not an *InputError", err)
			}
			msg := publish.Message(err)
			if !strings.Contains(msg, tc.says) || !strings.Contains(msg, filepath.Base(tc.path)) {
				t.Errorf("message %q: want it to name the file and say %q", msg, tc.says)
			}
			if called[publish.PhaseImporting] {
				t.Error("the import started")
			}
			t.Logf("%s: %s", tc.name, msg)
		})
	}
	if n := uploadtest.CatalogSize(t, r.cat); n != 0 {
		t.Errorf("catalog has %d videos after bad inputs", n)
	}
	if pins := uploadtest.Pins(t, r.node); len(pins) != 0 {
		t.Errorf("pins after bad inputs: %v", pins)
	}
}

func TestCancelLeavesNothing(t *testing.T) {
	for _, at := range []publish.Phase{publish.PhaseProbing, publish.PhaseImporting, publish.PhasePublishing} {
		t.Run(at.String(), func(t *testing.T) {
			r := newRig(t)
			ctx, cancel := context.WithCancel(testCtx(t))
			defer cancel()
			path := uploadtest.VideoAs(t, bigVideo, "clip.mp4")
			var seen []publish.Progress
			_, err := r.up.Upload(ctx, path, func(p publish.Progress) {
				seen = append(seen, p)
				// Mid-import: after the first MiB, well before the last.
				if p.Phase == at && (at != publish.PhaseImporting || p.Done > 0) {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			if publish.Message(err) != "Cancelled." {
				t.Errorf("message %q", publish.Message(err))
			}
			last := seen[len(seen)-1]
			if last.Phase != at || (at == publish.PhaseImporting && last.Done >= last.Total) {
				t.Errorf("last progress %+v; cancelled in %v", last, at)
			}
			if n := uploadtest.CatalogSize(t, r.cat); n != 0 {
				t.Errorf("catalog has %d videos after cancel", n)
			}
			if pins := uploadtest.Pins(t, r.node); len(pins) != 0 {
				t.Errorf("pins after cancel: %v", pins)
			}
		})
	}
}

// A failed second upload of a file already published must not unpin it.
func TestCancelledReuploadKeepsTheFirst(t *testing.T) {
	r := newRig(t)
	ctx := testCtx(t)
	path := uploadtest.VideoAs(t, testvideo.Spec{Duration: 3 * time.Second}, "clip.mp4")
	first, err := r.up.Upload(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err = r.up.Upload(cctx, path, func(p publish.Progress) {
		if p.Phase == publish.PhasePublishing {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	pins := uploadtest.Pins(t, r.node)
	if !pins[first.File] || !pins[first.Dir] {
		t.Errorf("pins %v lost the first upload (file %s, dir %s)", pins, first.File, first.Dir)
	}
	v, err := r.cat.Get(ctx, first.File)
	if err != nil || !v.Dir.Equals(first.Dir) {
		t.Errorf("catalog entry %+v, %v", v, err)
	}
}

func TestRetitle(t *testing.T) {
	r := newRig(t)
	ctx := testCtx(t)
	path := uploadtest.VideoAs(t, testvideo.Spec{Duration: 3 * time.Second}, "talk.mp4")
	up, err := r.up.Upload(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Watch history must survive the retitle.
	if _, err := r.cat.RecordWatch(ctx, up.File, time.Second, time.Now()); err != nil {
		t.Fatal(err)
	}

	re, err := r.up.Retitle(ctx, up.File, "  My first talk  ")
	if err != nil {
		t.Fatal(err)
	}
	if re.Dir.Equals(up.Dir) || !re.File.Equals(up.File) || re.Title != "My first talk" {
		t.Errorf("retitled %+v from %+v", re, up)
	}
	v, err := r.node.ResolveVideo(ctx, re.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if v.Metadata == nil || v.Metadata.Title != "My first talk" || !v.Cid.Equals(up.File) ||
		!v.Poster.Equals(up.Poster) || v.Metadata.Width != 640 || v.Name != "talk.mp4" {
		t.Errorf("new directory: %+v, metadata %+v", v, v.Metadata)
	}
	got, err := r.cat.Get(ctx, up.File)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "My first talk" || !got.Dir.Equals(re.Dir) || got.WatchCount != 1 || !got.Kept.Has(library.OwnUpload) {
		t.Errorf("catalog after retitle: %+v", got)
	}
	pins := uploadtest.Pins(t, r.node)
	if pins[up.Dir] || !pins[re.Dir] || !pins[up.File] {
		t.Errorf("pins %v: want the new dir %s and file %s, not the old dir %s", pins, re.Dir, up.File, up.Dir)
	}

	if _, err := r.up.Retitle(ctx, up.File, " \t"); !errors.Is(err, publish.ErrNoTitle) {
		t.Errorf("empty title: %v", err)
	}
	if _, err := r.up.Retitle(ctx, up.File, strings.Repeat("x", library.MaxTitleBytes+1)); !errors.Is(err, publish.ErrTitleTooLong) {
		t.Errorf("long title: %v", err)
	}
	if got, _ := r.cat.Get(ctx, up.File); got.Title != "My first talk" {
		t.Errorf("a refused title changed the catalog: %q", got.Title)
	}
}

func TestLinksFor(t *testing.T) {
	c, err := cid.Decode("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")
	if err != nil {
		t.Fatal(err)
	}
	l := publish.LinksFor(c)
	want := publish.Links{
		IPFS:      "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
		Subdomain: "https://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi.ipfs.dweb.link/",
		Path:      "https://ipfs.io/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/",
	}
	if l != want {
		t.Errorf("LinksFor = %+v, want %+v", l, want)
	}
	// A CIDv0 directory gets its CIDv1 form, which subdomains need.
	v0, _ := cid.Decode("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")
	if l := publish.LinksFor(v0); !strings.HasPrefix(l.Subdomain, "https://bafy") {
		t.Errorf("CIDv0 subdomain link %q", l.Subdomain)
	}
	if (publish.LinksFor(cid.Undef) != publish.Links{}) {
		t.Error("links for an undefined CID")
	}
}

// Imports beyond publish.WithParallel wait, saying so, and a waiting upload can be
// cancelled without ever importing.
func TestParallelImportsWait(t *testing.T) {
	r := newRig(t)
	r.up = uploadtest.Service(r.node, r.cat, publish.WithParallel(1))
	ctx := testCtx(t)
	first, second := uploadtest.VideoAs(t, bigVideo, "first.mp4"), uploadtest.VideoAs(t, bigVideo, "second.mp4")

	// The first upload stalls in its import (as on a slow disk) until
	// its context ends.
	firstCtx, cancelFirst := context.WithCancel(ctx)
	defer cancelFirst()
	importing := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		once := false
		_, err := r.up.Upload(firstCtx, first, func(p publish.Progress) {
			if p.Phase == publish.PhaseImporting && p.Done > 0 && !once {
				once = true
				close(importing)
				<-firstCtx.Done()
			}
		})
		firstDone <- err
	}()
	select {
	case <-importing:
	case <-ctx.Done():
		t.Fatal("the first upload never imported")
	}

	secondCtx, cancelSecond := context.WithCancel(ctx)
	defer cancelSecond()
	var phases []publish.Phase
	_, err := r.up.Upload(secondCtx, second, func(p publish.Progress) {
		phases = append(phases, p.Phase)
		if p.Phase == publish.PhaseWaiting {
			cancelSecond()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("second upload: %v, want context.Canceled", err)
	}
	if len(phases) != 2 || phases[0] != publish.PhaseProbing || phases[1] != publish.PhaseWaiting {
		t.Errorf("second upload phases %v, want probing then waiting", phases)
	}

	cancelFirst()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Errorf("first upload: %v", err)
	}
	// With the slot free again, the same file goes through.
	res, err := r.up.Upload(ctx, second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pins := uploadtest.Pins(t, r.node); len(pins) != 2 || !pins[res.File] || !pins[res.Dir] {
		t.Errorf("pins %v, want just the second upload's file and dir", pins)
	}
}
