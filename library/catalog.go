package library

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	badgeropts "github.com/dgraph-io/badger/v4/options"
	"github.com/gofrs/flock"
	"github.com/ipfs/go-cid"
)

var (
	// ErrNotFound: no video with that CID in the catalog.
	ErrNotFound = errors.New("video not in the catalog")
	// ErrInvalid wraps every rejected input (undefined CID, negative
	// duration, unknown keep reason, bad list options...).
	ErrInvalid = errors.New("invalid input")
	// ErrCorrupt: a stored record cannot be read. Errors carrying it are
	// *RecordError.
	ErrCorrupt = errors.New("corrupt record")
	// ErrNewerRecord: the record was written by a newer version of the
	// program; it can be read and deleted but not rewritten.
	ErrNewerRecord = errors.New("record written by a newer version")
	// ErrLocked: another process has the catalog open.
	ErrLocked = errors.New("catalog is in use by another process")
	// ErrTooNew: the catalog directory was written by a newer version.
	ErrTooNew = errors.New("catalog written by a newer version")
	// ErrClosed: the Catalog was closed.
	ErrClosed = errors.New("catalog closed")
)

// RecordError is a stored record that cannot be read.
type RecordError struct {
	// Key is the raw Badger key; Cid is the CID it names, or cid.Undef when
	// the key itself is damaged.
	Key []byte
	Cid cid.Cid
	Err error
}

func (e *RecordError) Error() string {
	name := fmt.Sprintf("key %x", e.Key)
	if e.Cid.Defined() {
		name = e.Cid.String()
	}
	return fmt.Sprintf("record %s: %v: %v", name, ErrCorrupt, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) true for every RecordError.
func (e *RecordError) Is(target error) bool { return target == ErrCorrupt }

const (
	lockFile = "catalog.lock"
	dbDir    = "badger"

	// layoutVersion is the key layout; a directory written with a higher
	// one is refused as a whole (records carry their own version).
	layoutVersion = 1

	// DefaultSessionGap: RecordWatch calls further apart than this belong
	// to different viewings.
	DefaultSessionGap = 30 * time.Minute

	// maxCommitAttempts bounds Update's retries on write conflicts. A
	// conflict means another writer committed, so progress is always made;
	// the bound only turns a pathological livelock into an error.
	maxCommitAttempts = 10000
)

var (
	videoPrefix = []byte("video/")
	layoutKey   = []byte("meta/layout")
)

func videoKey(c cid.Cid) []byte { return append(append([]byte{}, videoPrefix...), c.Bytes()...) }

// Option tunes Open.
type Option func(*options)

type options struct {
	log        *slog.Logger
	sessionGap time.Duration
	now        func() time.Time
}

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithSessionGap sets how long a pause between RecordWatch calls may be
// before the next call counts as a new viewing (default DefaultSessionGap).
func WithSessionGap(d time.Duration) Option { return func(o *options) { o.sessionGap = d } }

// Catalog is the persistent set of videos the user watched, uploaded or
// pinned. Its methods are safe for concurrent use.
type Catalog struct {
	dir  string
	log  *slog.Logger
	opts options
	lock *flock.Flock
	db   *badger.DB

	// mu guards closed: operations hold it shared so Close waits for them
	// and nothing touches the DB after it is closed.
	mu     sync.RWMutex
	closed bool

	subs subscribers

	reportedMu sync.Mutex
	reported   map[string]bool // corrupt keys already logged
}

// badgerOptions tunes Badger for a few thousand records of about a
// kilobyte: everything stays in the LSM tree (far below the value
// threshold), memtables and caches are small because a desktop app must
// stay light, and the value log, which only big values would use, is small
// so its preallocated files do not inflate the directory's apparent size.
func badgerOptions(dir string, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithMemTableSize(4 << 20).
		WithNumMemtables(2).
		// Above the biggest record (32 KiB of description, even if
		// JSON escaping grew it sixfold) and below Badger's cap of 15 % of
		// the memtable.
		WithValueThreshold(256 << 10).
		WithValueLogFileSize(8 << 20).
		WithBaseTableSize(1 << 20).
		WithBaseLevelSize(4 << 20).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithNumCompactors(2).
		WithBlockCacheSize(1 << 20).
		WithIndexCacheSize(0).
		WithCompression(badgeropts.None).
		// A crash of the OS (not of the process) may lose the last
		// second of watch progress; never losing it is not worth an fsync
		// per position update.
		WithSyncWrites(false).
		WithLogger(badgerLogger{log})
}

// Open opens the catalog in dir, creating it if needed. It fails with
// ErrLocked when another process has it open and ErrTooNew when a newer
// version wrote it.
func Open(ctx context.Context, dir string, opts ...Option) (*Catalog, error) {
	o := options{log: slog.Default(), sessionGap: DefaultSessionGap, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if dir == "" {
		return nil, fmt.Errorf("library.Open: %w: empty directory", ErrInvalid)
	}
	if o.sessionGap <= 0 {
		return nil, fmt.Errorf("library.Open: %w: session gap %v must be positive", ErrInvalid, o.sessionGap)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("library.Open: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("library.Open: %w", err)
	}
	lock := flock.New(filepath.Join(dir, lockFile))
	locked, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("library.Open %s: lock: %w", dir, err)
	}
	if !locked {
		return nil, fmt.Errorf("library.Open %s: %w", dir, ErrLocked)
	}
	log := o.log.With("component", "library")
	db, err := badger.Open(badgerOptions(filepath.Join(dir, dbDir), log))
	if err != nil {
		_ = lock.Unlock()
		return nil, fmt.Errorf("library.Open %s: %w", dir, err)
	}
	c := &Catalog{dir: dir, log: log, opts: o, lock: lock, db: db, reported: make(map[string]bool)}
	if err := c.checkLayout(); err != nil {
		_ = db.Close()
		_ = lock.Unlock()
		return nil, fmt.Errorf("library.Open %s: %w", dir, err)
	}
	return c, nil
}

// checkLayout stamps a new catalog with layoutVersion and refuses one
// stamped with a higher version.
func (c *Catalog) checkLayout() error {
	return c.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(layoutKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return txn.Set(layoutKey, []byte(strconv.Itoa(layoutVersion)))
		}
		if err != nil {
			return err
		}
		b, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		v, err := strconv.Atoi(string(b))
		if err != nil {
			return fmt.Errorf("layout version %q: %w", b, err)
		}
		if v > layoutVersion {
			return fmt.Errorf("%w (layout %d, this build knows %d)", ErrTooNew, v, layoutVersion)
		}
		return nil
	})
}

// Close stops change deliveries, closes the database and releases the
// directory. It waits for running operations; calling it again is a no-op.
func (c *Catalog) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.subs.closeAll()
	err := c.db.Close()
	if uerr := c.lock.Unlock(); err == nil {
		err = uerr
	}
	if err != nil {
		return fmt.Errorf("library.Close: %w", err)
	}
	return nil
}

// enter starts an operation: it fails when the catalog is closed or ctx is
// done, else the caller must call the returned leave.
func (c *Catalog) enter(ctx context.Context) (leave func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return nil, ErrClosed
	}
	return c.mu.RUnlock, nil
}

// Put stores v, replacing the known fields of any record with the same
// CID (fields a newer version added are kept; a corrupt record is
// replaced). A zero Added becomes the stored record's Added, or now. It
// fails with ErrNewerRecord when a newer version wrote the record.
func (c *Catalog) Put(ctx context.Context, v Video) error {
	if err := v.validate(); err != nil {
		return fmt.Errorf("library.Put: %w", err)
	}
	_, err := c.modify(ctx, v.Cid, replace, func(stored *Video, exists bool) error {
		if v.Added.IsZero() {
			v.Added = stored.Added
		}
		v.extra = mergeExtra(stored.extra, v.extra)
		*stored = v
		return nil
	})
	if err != nil {
		return fmt.Errorf("library.Put %s: %w", v.Cid, err)
	}
	return nil
}

// Get returns the video with CID c: ErrNotFound when there is none, a
// *RecordError (ErrCorrupt) when its record cannot be read.
func (c *Catalog) Get(ctx context.Context, id cid.Cid) (Video, error) {
	if !id.Defined() {
		return Video{}, fmt.Errorf("library.Get: %w: undefined CID", ErrInvalid)
	}
	leave, err := c.enter(ctx)
	if err != nil {
		return Video{}, fmt.Errorf("library.Get %s: %w", id, err)
	}
	defer leave()
	var v Video
	err = c.db.View(func(txn *badger.Txn) error {
		var err error
		v, err = c.read(txn, id)
		return err
	})
	if err != nil {
		return Video{}, fmt.Errorf("library.Get %s: %w", id, err)
	}
	return v, nil
}

// read loads and decodes one record inside txn.
func (c *Catalog) read(txn *badger.Txn, id cid.Cid) (Video, error) {
	key := videoKey(id)
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return Video{}, ErrNotFound
	}
	if err != nil {
		return Video{}, err
	}
	var v Video
	err = item.Value(func(b []byte) error {
		var derr error
		if v, derr = decodeVideo(id, b); derr != nil {
			return &RecordError{Key: key, Cid: id, Err: derr}
		}
		return nil
	})
	return v, err
}

// Update changes the video with CID id atomically: fn gets the stored
// video and edits it in place; returning an error aborts. fn may run more
// than once (when another writer commits in between), so it must only
// compute. It fails with ErrNotFound when there is no such video; see
// Upsert to create one.
func (c *Catalog) Update(ctx context.Context, id cid.Cid, fn func(*Video) error) (Video, error) {
	v, err := c.update(ctx, id, false, fn)
	if err != nil {
		return Video{}, fmt.Errorf("library.Update %s: %w", id, err)
	}
	return v, nil
}

// Upsert is Update that starts from a new Video (Cid and Added set) when
// there is none.
func (c *Catalog) Upsert(ctx context.Context, id cid.Cid, fn func(*Video) error) (Video, error) {
	v, err := c.update(ctx, id, true, fn)
	if err != nil {
		return Video{}, fmt.Errorf("library.Upsert %s: %w", id, err)
	}
	return v, nil
}

func (c *Catalog) update(ctx context.Context, id cid.Cid, create bool, fn func(*Video) error) (Video, error) {
	m := mustExist
	if create {
		m = createMissing
	}
	if fn == nil {
		return Video{}, fmt.Errorf("%w: nil update function", ErrInvalid)
	}
	return c.modify(ctx, id, m, func(v *Video, _ bool) error {
		if err := fn(v); err != nil {
			return err
		}
		if !v.Cid.Equals(id) {
			return fmt.Errorf("%w: update changed the CID to %s", ErrInvalid, v.Cid)
		}
		return v.validate()
	})
}

// modifyMode says what modify does when the record is missing or corrupt.
type modifyMode int

const (
	mustExist     modifyMode = iota // missing: ErrNotFound; corrupt: the RecordError
	createMissing                   // missing: start from a new Video
	replace                         // missing or corrupt: start from a new Video
)

// modify is the one read-modify-write path: it reads the record in a
// transaction, lets fn change it, refuses to overwrite a newer version's
// record, writes, and retries on conflicts. The change is published after
// the commit.
func (c *Catalog) modify(ctx context.Context, id cid.Cid, mode modifyMode, fn func(v *Video, exists bool) error) (Video, error) {
	if !id.Defined() {
		return Video{}, fmt.Errorf("%w: undefined CID", ErrInvalid)
	}
	leave, err := c.enter(ctx)
	if err != nil {
		return Video{}, err
	}
	defer leave()
	key := videoKey(id)
	for attempt := 1; ; attempt++ {
		var out Video
		err := c.db.Update(func(txn *badger.Txn) error {
			v, err := c.read(txn, id)
			exists := err == nil
			var recErr *RecordError
			switch {
			case errors.Is(err, ErrNotFound) && mode != mustExist:
				v = Video{Cid: id}
			case errors.As(err, &recErr) && mode == replace:
				c.log.Warn("replacing corrupt record", "cid", id, "err", recErr.Err)
				v, exists = Video{Cid: id}, false
			case err != nil:
				return err
			case v.version > recordVersion:
				return fmt.Errorf("%w (version %d, this build writes %d)", ErrNewerRecord, v.version, recordVersion)
			}
			if err := fn(&v, exists); err != nil {
				return err
			}
			if v.Added.IsZero() {
				v.Added = c.opts.now()
			}
			b, err := encodeVideo(v)
			if err != nil {
				return err
			}
			if err := txn.Set(key, b); err != nil {
				return err
			}
			out = normalize(v)
			return nil
		})
		if err == nil {
			c.subs.publish(id)
			return out, nil
		}
		if !errors.Is(err, badger.ErrConflict) || attempt >= maxCommitAttempts {
			return Video{}, err
		}
		if err := ctx.Err(); err != nil {
			return Video{}, err
		}
	}
}

// normalize makes a Video look as Get would return it after a write.
func normalize(v Video) Video {
	v.version = recordVersion
	utc := func(t time.Time) time.Time {
		if t.IsZero() {
			return time.Time{}
		}
		return t.UTC().Round(0)
	}
	v.FirstWatched, v.LastWatched, v.Added = utc(v.FirstWatched), utc(v.LastWatched), utc(v.Added)
	return v
}

// Delete removes the video with CID id. Deleting what is not there is not
// an error, and a corrupt or newer record can always be deleted.
func (c *Catalog) Delete(ctx context.Context, id cid.Cid) error {
	if !id.Defined() {
		return fmt.Errorf("library.Delete: %w: undefined CID", ErrInvalid)
	}
	leave, err := c.enter(ctx)
	if err != nil {
		return fmt.Errorf("library.Delete %s: %w", id, err)
	}
	defer leave()
	existed := false
	err = c.db.Update(func(txn *badger.Txn) error {
		_, err := txn.Get(videoKey(id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		existed = true
		return txn.Delete(videoKey(id))
	})
	if err != nil {
		return fmt.Errorf("library.Delete %s: %w", id, err)
	}
	if existed {
		c.subs.publish(id)
	}
	return nil
}

// RecordWatch notes that the video was being watched at position at time
// at. The player calls it on start, every few seconds while playing, on
// seek and on stop.
//
// The call starts a new viewing (WatchCount+1, FirstWatched set the first
// time) when the video was never watched, when the previous call is more
// than the session gap (default 30 min) before at, or when the previous
// viewing had finished (Finished) and playback went back to an earlier
// position. Otherwise it belongs to the current viewing and only moves
// LastPosition and LastWatched. LastWatched never moves back: a call with
// an earlier at (a clock step) updates the position only.
func (c *Catalog) RecordWatch(ctx context.Context, id cid.Cid, position time.Duration, at time.Time) (Video, error) {
	if position < 0 {
		return Video{}, fmt.Errorf("library.RecordWatch %s: %w: negative position %v", id, ErrInvalid, position)
	}
	if at.IsZero() {
		return Video{}, fmt.Errorf("library.RecordWatch %s: %w: zero time", id, ErrInvalid)
	}
	at = at.UTC().Round(0)
	v, err := c.update(ctx, id, false, func(v *Video) error {
		newViewing := v.WatchCount == 0 || v.LastWatched.IsZero() ||
			at.Sub(v.LastWatched) > c.opts.sessionGap ||
			(v.Finished() && position < v.LastPosition)
		if newViewing {
			v.WatchCount++
		}
		if v.FirstWatched.IsZero() || at.Before(v.FirstWatched) {
			v.FirstWatched = at
		}
		if at.After(v.LastWatched) {
			v.LastWatched = at
		}
		v.LastPosition = position
		return nil
	})
	if err != nil {
		return Video{}, fmt.Errorf("library.RecordWatch %s: %w", id, err)
	}
	return v, nil
}

// SetKept turns keep reason r on or off for the video.
func (c *Catalog) SetKept(ctx context.Context, id cid.Cid, r KeepReason, on bool) (Video, error) {
	if r == 0 {
		return Video{}, fmt.Errorf("library.SetKept %s: %w: no keep reason", id, ErrInvalid)
	}
	if err := r.validate(); err != nil {
		return Video{}, fmt.Errorf("library.SetKept %s: %w", id, err)
	}
	v, err := c.update(ctx, id, false, func(v *Video) error {
		if on {
			v.Kept |= r
		} else {
			v.Kept &^= r
		}
		return nil
	})
	if err != nil {
		return Video{}, fmt.Errorf("library.SetKept %s: %w", id, err)
	}
	return v, nil
}

// SetBytesLocal records how many of the video's bytes are on disk.
func (c *Catalog) SetBytesLocal(ctx context.Context, id cid.Cid, n int64) (Video, error) {
	if n < 0 {
		return Video{}, fmt.Errorf("library.SetBytesLocal %s: %w: negative byte count %d", id, ErrInvalid, n)
	}
	v, err := c.update(ctx, id, false, func(v *Video) error {
		v.BytesLocal = n
		return nil
	})
	if err != nil {
		return Video{}, fmt.Errorf("library.SetBytesLocal %s: %w", id, err)
	}
	return v, nil
}

// badgerLogger sends Badger's messages to slog.
type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any) { l.log.Error("badger", "msg", fmt.Sprintf(f, a...)) }
func (l badgerLogger) Warningf(f string, a ...any) {
	l.log.Warn("badger", "msg", fmt.Sprintf(f, a...))
}
func (l badgerLogger) Infof(f string, a ...any)  { l.log.Debug("badger", "msg", fmt.Sprintf(f, a...)) }
func (l badgerLogger) Debugf(f string, a ...any) {}
