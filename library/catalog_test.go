package library

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

// testCid makes a distinct CIDv1 (raw, sha2-256) per name.
func testCid(t testing.TB, name string) cid.Cid {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	h, err := mh.Encode(sum[:], mh.SHA2_256)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, h)
}

func openTemp(t testing.TB, opts ...Option) (*Catalog, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "library")
	c, err := Open(context.Background(), dir, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c, dir
}

// withRawDB opens the catalog's Badger directly, as another tool (or a bug,
// or a newer build) could write it. The catalog must be closed.
func withRawDB(t *testing.T, dir string, fn func(txn *badger.Txn) error) {
	t.Helper()
	db, err := badger.Open(badgerOptions(filepath.Join(dir, dbDir), slog.Default()))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// exported strips what Get adds beyond the caller's fields.
func exported(v Video) Video {
	v.version = 0
	v.extra = nil
	return v
}

func fullVideo(t testing.TB, name string) Video {
	base := time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.UTC)
	return Video{
		Cid:          testCid(t, name),
		Dir:          testCid(t, name+"/dir"),
		Title:        "Title " + name,
		Description:  "About " + name,
		Poster:       testCid(t, name+"/poster"),
		Duration:     20*time.Minute + 123456789,
		Width:        1920,
		Height:       1080,
		Size:         987654321,
		BytesLocal:   12345678,
		WatchCount:   3,
		LastPosition: 61*time.Second + 1,
		FirstWatched: base,
		LastWatched:  base.Add(48 * time.Hour),
		Added:        base.Add(-time.Hour),
		Kept:         OwnUpload | Pinned,
	}
}

func TestPutGetRoundTrip(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	want := fullVideo(t, "a")
	if err := c.Put(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, want.Cid)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(exported(got), want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", exported(got), want)
	}

	// Optional CIDs stay undefined; a zero Added becomes now.
	before := time.Now()
	bare := Video{Cid: testCid(t, "bare")}
	if err := c.Put(ctx, bare); err != nil {
		t.Fatal(err)
	}
	got, err = c.Get(ctx, bare.Cid)
	if err != nil {
		t.Fatal(err)
	}
	if got.Dir.Defined() || got.Poster.Defined() {
		t.Errorf("undefined dir/poster came back as %v/%v", got.Dir, got.Poster)
	}
	if got.Added.Before(before.Add(-time.Second)) || got.Added.After(time.Now().Add(time.Second)) {
		t.Errorf("Added = %v, want about now", got.Added)
	}

	// Put over an existing record keeps its Added when the new one has none.
	again := want
	again.Added = time.Time{}
	again.Title = "renamed"
	if err := c.Put(ctx, again); err != nil {
		t.Fatal(err)
	}
	got, err = c.Get(ctx, want.Cid)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "renamed" || !got.Added.Equal(want.Added) {
		t.Errorf("after re-Put: title %q added %v, want renamed / %v", got.Title, got.Added, want.Added)
	}
}

func TestBadInputs(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	ok := fullVideo(t, "ok")
	if err := c.Put(ctx, ok); err != nil {
		t.Fatal(err)
	}
	bad := func(change func(*Video)) Video { v := ok; change(&v); return v }
	cases := []struct {
		name string
		v    Video
		msg  string
	}{
		{"undefined cid", bad(func(v *Video) { v.Cid = cid.Undef }), "undefined CID"},
		{"negative duration", bad(func(v *Video) { v.Duration = -time.Second }), "negative duration"},
		{"negative width", bad(func(v *Video) { v.Width = -1 }), "negative resolution"},
		{"negative size", bad(func(v *Video) { v.Size = -5 }), "negative size"},
		{"negative bytes local", bad(func(v *Video) { v.BytesLocal = -5 }), "negative bytes local"},
		{"negative watch count", bad(func(v *Video) { v.WatchCount = -1 }), "negative watch count"},
		{"negative position", bad(func(v *Video) { v.LastPosition = -1 }), "negative last position"},
		{"watched order", bad(func(v *Video) { v.LastWatched = v.FirstWatched.Add(-time.Hour) }), "before first watched"},
		{"unknown kept", bad(func(v *Video) { v.Kept = 1 << 6 }), "unknown keep reason"},
		{"bad utf8", bad(func(v *Video) { v.Title = "a\xffb" }), "not valid UTF-8"},
		{"long title", bad(func(v *Video) { v.Title = strings.Repeat("x", MaxTitleBytes+1) }), "title is"},
		{"long description", bad(func(v *Video) { v.Description = strings.Repeat("é", MaxDescriptionBytes) }), "description is"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Put(ctx, tc.v)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Put: %v, want ErrInvalid mentioning %q", err, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "library.Put") {
				t.Errorf("error %q does not name the operation", err)
			}
		})
	}
	// Nothing bad reached the store.
	got, err := c.Get(ctx, ok.Cid)
	if err != nil || !reflect.DeepEqual(exported(got), ok) {
		t.Fatalf("stored video changed by rejected Puts: %v %+v", err, got)
	}

	id := ok.Cid
	checks := map[string]error{}
	_, checks["Get undef"] = c.Get(ctx, cid.Undef)
	checks["Delete undef"] = c.Delete(ctx, cid.Undef)
	_, checks["Update undef"] = c.Update(ctx, cid.Undef, func(*Video) error { return nil })
	_, checks["Update nil fn"] = c.Update(ctx, id, nil)
	_, checks["Update invalid result"] = c.Update(ctx, id, func(v *Video) error { v.Duration = -1; return nil })
	_, checks["Update changes cid"] = c.Update(ctx, id, func(v *Video) error { v.Cid = testCid(t, "other"); return nil })
	_, checks["RecordWatch negative"] = c.RecordWatch(ctx, id, -time.Second, time.Now())
	_, checks["RecordWatch zero time"] = c.RecordWatch(ctx, id, time.Second, time.Time{})
	_, checks["SetKept none"] = c.SetKept(ctx, id, 0, true)
	_, checks["SetKept unknown"] = c.SetKept(ctx, id, 1<<7, true)
	_, checks["SetBytesLocal negative"] = c.SetBytesLocal(ctx, id, -1)
	_, checks["List bad sort"] = c.List(ctx, ListOptions{Sort: 99})
	_, checks["List negative limit"] = c.List(ctx, ListOptions{Limit: -1})
	_, checks["List unknown kept"] = c.List(ctx, ListOptions{Kept: 1 << 5})
	for name, err := range checks {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := Open(ctx, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Open(\"\"): %v, want ErrInvalid", err)
	}
	got, err = c.Get(ctx, ok.Cid)
	if err != nil || !reflect.DeepEqual(exported(got), ok) {
		t.Fatalf("stored video changed by rejected updates: %v %+v", err, got)
	}
}

func TestUpdateUpsertDelete(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	id := testCid(t, "u")

	if _, err := c.Get(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}
	if _, err := c.Update(ctx, id, func(*Video) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Update missing: %v, want ErrNotFound", err)
	}
	for name, f := range map[string]func() error{
		"RecordWatch":   func() error { _, err := c.RecordWatch(ctx, id, 0, time.Now()); return err },
		"SetKept":       func() error { _, err := c.SetKept(ctx, id, Pinned, true); return err },
		"SetBytesLocal": func() error { _, err := c.SetBytesLocal(ctx, id, 1); return err },
	} {
		if err := f(); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s on missing video: %v, want ErrNotFound", name, err)
		}
	}

	v, err := c.Upsert(ctx, id, func(v *Video) error { v.Title = "new"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if v.Title != "new" || v.Added.IsZero() || !v.Cid.Equals(id) {
		t.Fatalf("Upsert created %+v", v)
	}

	sentinel := errors.New("changed my mind")
	if _, err := c.Update(ctx, id, func(v *Video) error { v.Title = "lost"; return sentinel }); !errors.Is(err, sentinel) {
		t.Fatalf("Update with failing fn: %v", err)
	}
	v, err = c.Update(ctx, id, func(v *Video) error { v.Title += "er"; v.Duration = time.Minute; return nil })
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "newer" || got.Duration != time.Minute || !reflect.DeepEqual(got, v) {
		t.Fatalf("after Update: Get %+v, Update returned %+v", got, v)
	}

	if v, err = c.SetKept(ctx, id, Pinned|Cache, true); err != nil || v.Kept != Pinned|Cache {
		t.Fatalf("SetKept on: %v %v", v.Kept, err)
	}
	if v, err = c.SetKept(ctx, id, Cache, false); err != nil || v.Kept != Pinned {
		t.Fatalf("SetKept off: %v %v", v.Kept, err)
	}
	if v, err = c.SetBytesLocal(ctx, id, 4242); err != nil || v.BytesLocal != 4242 {
		t.Fatalf("SetBytesLocal: %v %v", v.BytesLocal, err)
	}

	if err := c.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := c.Delete(ctx, id); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
}

func TestPersistence(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "library")
	c, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := fullVideo(t, "p")
	if err := c.Put(ctx, want); err != nil {
		t.Fatal(err)
	}
	gone := testCid(t, "gone")
	if err := c.Put(ctx, Video{Cid: gone}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.Get(ctx, want.Cid); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v, want ErrClosed", err)
	}
	if err := c.Put(ctx, want); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close: %v, want ErrClosed", err)
	}

	c, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.Get(ctx, want.Cid)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(exported(got), want) {
		t.Fatalf("after reopen:\n got %+v\nwant %+v", exported(got), want)
	}
	if _, err := c.Get(ctx, gone); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted video after reopen: %v", err)
	}
}

func TestRecordWatch(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t, WithSessionGap(10*time.Minute))
	id := testCid(t, "w")
	if err := c.Put(ctx, Video{Cid: id, Duration: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	step := func(pos time.Duration, at time.Time, wantCount int) Video {
		t.Helper()
		v, err := c.RecordWatch(ctx, id, pos, at)
		if err != nil {
			t.Fatal(err)
		}
		if v.WatchCount != wantCount || v.LastPosition != pos {
			t.Fatalf("RecordWatch(%v, %v): count %d pos %v, want %d %v", pos, at, v.WatchCount, v.LastPosition, wantCount, pos)
		}
		return v
	}
	step(0, t0, 1) // first viewing
	for i := 1; i <= 10; i++ {
		step(time.Duration(i)*5*time.Second, t0.Add(time.Duration(i)*5*time.Second), 1)
	}
	// Closed and reopened within the gap: the same viewing, resumed.
	v := step(3*time.Minute, t0.Add(8*time.Minute), 1)
	if !v.FirstWatched.Equal(t0) || !v.LastWatched.Equal(t0.Add(8*time.Minute)) || v.Finished() {
		t.Fatalf("first/last watched %v/%v finished %v", v.FirstWatched, v.LastWatched, v.Finished())
	}
	// A clock step back moves the position, not LastWatched.
	v = step(3*time.Minute+time.Second, t0.Add(7*time.Minute), 1)
	if !v.LastWatched.Equal(t0.Add(8 * time.Minute)) {
		t.Fatalf("LastWatched moved back to %v", v.LastWatched)
	}
	// Back after more than the gap: a new viewing.
	step(3*time.Minute, t0.Add(30*time.Minute), 2)
	// Watched to the end, then started again at once: a new viewing.
	v = step(9*time.Minute+45*time.Second, t0.Add(37*time.Minute), 2)
	if !v.Finished() {
		t.Fatalf("9:45 of 10:00 not Finished")
	}
	step(2*time.Second, t0.Add(38*time.Minute), 3)
	step(20*time.Second, t0.Add(38*time.Minute+18*time.Second), 3)

	got, err := c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.WatchCount != 3 || got.LastPosition != 20*time.Second || !got.FirstWatched.Equal(t0) {
		t.Fatalf("stored %+v", got)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	id := testCid(t, "hot")
	if err := c.Put(ctx, Video{Cid: id}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if w%2 == 0 {
					_, err := c.Update(ctx, id, func(v *Video) error { v.WatchCount++; return nil })
					errs <- err
				} else {
					// Different fields of the same record, interleaved.
					_, err := c.Update(ctx, id, func(v *Video) error { v.BytesLocal += int64(i + 1); return nil })
					errs <- err
				}
				// Readers in between must never see a torn record.
				if _, err := c.Get(ctx, id); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	wantBytes := int64(workers/2) * each * (each + 1) / 2
	if got.WatchCount != workers/2*each || got.BytesLocal != wantBytes {
		t.Fatalf("after concurrent updates: count %d bytes %d, want %d %d", got.WatchCount, got.BytesLocal, workers/2*each, wantBytes)
	}
}

func TestCorruptRecord(t *testing.T) {
	ctx := context.Background()
	c, dir := openTemp(t)
	ids := []cid.Cid{testCid(t, "c1"), testCid(t, "c2"), testCid(t, "c3"), testCid(t, "c4")}
	for i, id := range ids {
		if err := c.Put(ctx, Video{Cid: id, Title: "video " + string(rune('A'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	other, err := json.Marshal(map[string]any{"v": 1, "cid": ids[0].String()})
	if err != nil {
		t.Fatal(err)
	}
	withRawDB(t, dir, func(txn *badger.Txn) error {
		return errors.Join(
			txn.Set(videoKey(ids[1]), []byte("\x00\x01garbage{")),
			txn.Set(videoKey(ids[2]), other), // names another CID
			txn.Set(append(append([]byte{}, videoPrefix...), 0xff, 0xfe), []byte(`{"v":1}`)),
		)
	})
	c2, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()

	_, err = c2.Get(ctx, ids[1])
	var re *RecordError
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &re) || !re.Cid.Equals(ids[1]) {
		t.Fatalf("Get garbage: %v, want a RecordError for %s", err, ids[1])
	}
	t.Logf("corrupt record error: %v", err)
	if _, err := c2.Get(ctx, ids[2]); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "stored under") {
		t.Fatalf("Get mismatched: %v", err)
	}
	if _, err := c2.Update(ctx, ids[1], func(*Video) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Update corrupt: %v", err)
	}

	page, err := c2.List(ctx, ListOptions{})
	if err != nil {
		t.Fatalf("List with corrupt records: %v", err)
	}
	if len(page.Videos) != 2 || page.Total != 2 || len(page.Skipped) != 3 {
		t.Fatalf("List: %d videos (total %d), %d skipped; want 2, 3", len(page.Videos), page.Total, len(page.Skipped))
	}
	for _, v := range page.Videos {
		if !v.Cid.Equals(ids[0]) && !v.Cid.Equals(ids[3]) {
			t.Errorf("List returned %s", v.Cid)
		}
	}
	bad := 0
	for _, s := range page.Skipped {
		if s.Cid.Equals(ids[1]) || s.Cid.Equals(ids[2]) || !s.Cid.Defined() {
			bad++
		}
	}
	if bad != 3 {
		t.Errorf("Skipped %v", page.Skipped)
	}
	if p, err := c2.Search(ctx, "video", ListOptions{}); err != nil || len(p.Videos) != 2 || len(p.Skipped) != 3 {
		t.Fatalf("Search with corrupt records: %v, %+v", err, p)
	}

	// Put repairs one record, Delete removes the other.
	if err := c2.Put(ctx, Video{Cid: ids[1], Title: "fixed"}); err != nil {
		t.Fatalf("Put over corrupt: %v", err)
	}
	if err := c2.Delete(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	page, err = c2.List(ctx, ListOptions{})
	if err != nil || len(page.Videos) != 3 || len(page.Skipped) != 1 {
		t.Fatalf("after repair: %v, %d videos, %d skipped", err, len(page.Videos), len(page.Skipped))
	}
}

func TestRecordVersions(t *testing.T) {
	ctx := context.Background()
	c, dir := openTemp(t)
	same, newer := testCid(t, "same-version"), testCid(t, "newer-version")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// A v1 record with a field a later build added, and a record from a newer build (v3).
	withRawDB(t, dir, func(txn *badger.Txn) error {
		return errors.Join(
			txn.Set(videoKey(same), []byte(`{"v":1,"cid":"`+same.String()+`","title":"old","popularity":{"score":0.75},"kept":["cache"]}`)),
			txn.Set(videoKey(newer), []byte(`{"v":3,"cid":"`+newer.String()+`","title":"from the future","duration_ns":5000000000,"kept":["pinned","seeding"],"seeding":true}`)),
		)
	})
	c, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetKept(ctx, same, Pinned, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, Video{Cid: same, Title: "replaced"}); err != nil {
		t.Fatal(err)
	}
	v, err := c.Get(ctx, newer)
	if err != nil {
		t.Fatalf("Get v3 record: %v", err)
	}
	if v.Title != "from the future" || v.Duration != 5*time.Second || v.Kept != Pinned {
		t.Fatalf("v3 record read as %+v", v)
	}
	if err := c.Put(ctx, Video{Cid: newer}); !errors.Is(err, ErrNewerRecord) {
		t.Fatalf("Put over v2: %v, want ErrNewerRecord", err)
	}
	if _, err := c.RecordWatch(ctx, newer, 0, time.Now()); !errors.Is(err, ErrNewerRecord) {
		t.Fatalf("RecordWatch on v2: %v, want ErrNewerRecord", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	var rawSame, rawNewer map[string]any
	withRawDB(t, dir, func(txn *badger.Txn) error {
		for key, dst := range map[cid.Cid]*map[string]any{same: &rawSame, newer: &rawNewer} {
			item, err := txn.Get(videoKey(key))
			if err != nil {
				return err
			}
			b, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(b, dst); err != nil {
				return err
			}
		}
		return nil
	})
	if rawSame["title"] != "replaced" || !reflect.DeepEqual(rawSame["popularity"], map[string]any{"score": 0.75}) {
		t.Fatalf("unknown field not kept through SetKept and Put: %v", rawSame)
	}
	if rawNewer["v"] != 3.0 || rawNewer["seeding"] != true {
		t.Fatalf("v3 record was rewritten: %v", rawNewer)
	}

	c, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Delete(ctx, newer); err != nil {
		t.Fatalf("Delete v2: %v", err)
	}
}

func TestTooNewLayout(t *testing.T) {
	ctx := context.Background()
	c, dir := openTemp(t)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	withRawDB(t, dir, func(txn *badger.Txn) error { return txn.Set(layoutKey, []byte("2")) })
	if _, err := Open(ctx, dir); !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open of a newer layout: %v, want ErrTooNew", err)
	}
	// The failed Open released the directory.
	withRawDB(t, dir, func(txn *badger.Txn) error { return txn.Set(layoutKey, []byte("1")) })
	c, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestSubscribe(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	id, other := testCid(t, "s1"), testCid(t, "s2")

	release := make(chan struct{})
	got := make(chan Change, 1000)
	first := true
	cancel := c.Subscribe(func(ch Change) {
		if first { // hold the subscriber so that writers run ahead of it
			first = false
			<-release
		}
		got <- ch
	})
	defer cancel()

	if err := c.Put(ctx, Video{Cid: id}); err != nil {
		t.Fatal(err)
	}
	// 200 writes while the subscriber is stuck: writers must not wait.
	done := make(chan error, 1)
	go func() {
		for i := 1; i <= 200; i++ {
			if _, err := c.SetBytesLocal(ctx, id, int64(i)); err != nil {
				done <- err
				return
			}
		}
		if err := c.Put(ctx, Video{Cid: other, Title: "other"}); err != nil {
			done <- err
			return
		}
		done <- c.Delete(ctx, other)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("writers blocked behind a stuck subscriber")
	}
	close(release)

	// The final state of each video arrives; steps in between may collapse.
	deadline := time.After(30 * time.Second)
	var lastBytes int64
	otherDeleted := false
	for lastBytes != 200 || !otherDeleted {
		select {
		case ch := <-got:
			switch {
			case ch.Cid.Equals(id):
				if ch.Deleted || ch.Video.BytesLocal < lastBytes {
					t.Fatalf("change out of order: %+v after %d", ch, lastBytes)
				}
				lastBytes = ch.Video.BytesLocal
			case ch.Cid.Equals(other):
				otherDeleted = ch.Deleted
			}
		case <-deadline:
			t.Fatalf("final changes not delivered: bytes %d, other deleted %v", lastBytes, otherDeleted)
		}
	}

	cancel()
	if err := c.Put(ctx, Video{Cid: id, Title: "after cancel"}); err != nil {
		t.Fatal(err)
	}
	// A second subscriber registered later proves the write was published.
	seen := make(chan Change, 10)
	cancel2 := c.Subscribe(func(ch Change) { seen <- ch })
	defer cancel2()
	if err := c.Put(ctx, Video{Cid: id, Title: "probe"}); err != nil {
		t.Fatal(err)
	}
	select {
	case ch := <-seen:
		if ch.Video.Title != "probe" {
			t.Fatalf("second subscriber got %+v", ch)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("second subscriber got nothing")
	}
	// Deliveries made before cancel may still sit in got; nothing written
	// after it may.
	for len(got) > 0 {
		if ch := <-got; ch.Video.Title == "after cancel" || ch.Video.Title == "probe" {
			t.Fatalf("cancelled subscriber got %+v", ch)
		}
	}
}
