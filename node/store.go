package node

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/dgraph-io/badger/v4"
	badgeropts "github.com/dgraph-io/badger/v4/options"
	badger4 "github.com/ipfs/go-ds-badger4"
)

// badgerOptions tunes Badger for a store of mostly 1 MiB blocks: with
// Badger's default 1 MiB ValueThreshold they would all land in the LSM tree,
// where writes crawl. Blocks of 64 KiB and more go to the value log, which
// writes them many times faster; smaller ones stay in the LSM tree
// where compaction frees them. Value-log files are small (32 MiB) so deleted
// blocks sit in closed files that reclaimSpace can rewrite and free, and the
// memtables and caches are small because a desktop app must stay light.
func badgerOptions() *badger4.Options {
	opts := badger4.DefaultOptions
	opts.Options = badger.DefaultOptions("").
		WithValueThreshold(64 << 10).
		WithValueLogFileSize(valueLogFileSize).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBlockCacheSize(32 << 20).
		WithIndexCacheSize(16 << 20).
		WithCompression(badgeropts.None).
		WithSyncWrites(false).
		WithLoggingLevel(badger.WARNING)
	// go-ds-badger4's periodic value-log GC never finds work (discard stats
	// only change in compactions, which 1 MiB blocks hardly trigger); the
	// node calls reclaimSpace after its own GC instead.
	opts.GcInterval = 0
	return &opts
}

// openDatastore opens the repo's Badger store and reports a failed table
// flush to health (see watchBadgerLog) until unwatch is called, after the
// store is closed.
func openDatastore(repoDir string, health *storageHealth) (ds *badger4.Datastore, unwatch func(), err error) {
	dir := filepath.Join(repoDir, datastoreDir)
	unwatch = watchBadgerLog(dir, health)
	ds, err = badger4.NewDatastore(dir, badgerOptions())
	if err != nil {
		unwatch()
		return nil, nil, fmt.Errorf("open datastore: %w", err)
	}
	return ds, unwatch, nil
}

// valueLogFileSize is the size of Badger's value-log files.
const valueLogFileSize = 32 << 20

// reclaimDiscardRatio: value-log files at least this dead get rewritten.
// 0.5 left files with a quarter of dead data untouched; 0.2 freed them.
const reclaimDiscardRatio = 0.2

// reclaimPrefix cannot clash with go-ds-badger4's keys, which start with "/".
var reclaimPrefix = []byte("!reclaim/")

// Free space reclaimSpace needs for its steps (see there): rotating the
// head takes a filler one value-log file long and the rewrites that follow
// up to another file; each rewrite copies at most a file's live part
// before the file goes. Below these it does less rather than fill the
// disk (Badger's mapped files turn a full disk into SIGBUS, not an error).
const (
	reclaimRotateFree  = 2*valueLogFileSize + 16<<20
	reclaimRewriteFree = valueLogFileSize + 8<<20
)

// reclaimSpace gives the space of deleted blocks back to the disk, with the
// database open. GC calls it under the GC lock, so imports and pins wait;
// a block bitswap receives during step 2 (a short moment) fails to store
// and is simply asked for again by the reader (File retries).
//
// free reports the disk's free space. With less than reclaimRotateFree the
// head file is left alone (its dead blocks stay until a later reclaim with
// more room), and rewrites stop below reclaimRewriteFree with ErrDiskFull.
func reclaimSpace(ctx context.Context, db *badger.DB, free func() (int64, error)) error {
	room, ferr := free()
	rotate := ferr != nil || room >= reclaimRotateFree
	// 1. Value-log GC never touches the newest ("head") file, so rotate
	// it: one transaction of more than a file's worth of 1 MiB values
	// always starts a new head. The filler also serves step 2. Short of
	// room, one small key serves step 2 alone.
	err := db.Update(func(txn *badger.Txn) error {
		if !rotate {
			return txn.Set(append(append([]byte{}, reclaimPrefix...), '0'), []byte{0})
		}
		chunk := make([]byte, 1<<20)
		for i := int64(0); i*int64(len(chunk)) <= db.Opts().ValueLogFileSize; i++ {
			key := append(append([]byte{}, reclaimPrefix...), strconv.FormatInt(i, 10)...)
			if err := txn.Set(key, chunk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reclaim: filler: %w", err)
	}
	// 2. Discard stats (how dead each value-log file is) are only counted
	// in compactions. DropPrefix is the one public call that flushes the
	// memtables and compacts L0, and it does so only when a key with the
	// prefix exists; it also deletes the filler.
	if err := db.DropPrefix(reclaimPrefix); err != nil {
		return fmt.Errorf("reclaim: drop prefix: %w", err)
	}
	// 3. In a multi-level tree a delete marker must meet the value it
	// hides in one compaction before the value counts as dead.
	if err := db.Flatten(1); err != nil {
		return fmt.Errorf("reclaim: flatten: %w", err)
	}
	// 4. Rewrite dead-enough files until none is left.
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if room, err := free(); err == nil && room < reclaimRewriteFree {
			return fmt.Errorf("reclaim: %w: %d bytes free, a value-log rewrite needs %d", ErrDiskFull, room, int64(reclaimRewriteFree))
		}
		switch err := db.RunValueLogGC(reclaimDiscardRatio); {
		case err == nil:
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrRejected):
			return nil
		default:
			return fmt.Errorf("reclaim: value log GC: %w", err)
		}
	}
}
