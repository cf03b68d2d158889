package node

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	logging "github.com/ipfs/go-log/v2"
)

// ErrStorageFailed means the repo's storage failed under a running node:
// its folder was removed or replaced, or Badger cannot write its tables.
// The node cannot go on; the daemon exits with it (see Failed).
var ErrStorageFailed = errors.New("storage failed")

// repoCheckInterval is how often the node checks that its repo folder is
// still there. Two stats per check.
const repoCheckInterval = 2 * time.Second

// failedCloseWait bounds how long Close waits for the parts of a node whose
// storage failed: Badger retries a failed memtable flush forever, so its
// Close, and every write queued behind it, would never return.
const failedCloseWait = 2 * time.Second

// storageHealth records the first storage failure.
type storageHealth struct {
	log    *slog.Logger
	once   sync.Once
	failed chan struct{} // closed by fail
	err    error         // set before failed closes
}

func newStorageHealth(log *slog.Logger) *storageHealth {
	return &storageHealth{log: log, failed: make(chan struct{})}
}

// fail records err as the node's storage failure; only the first counts.
func (h *storageHealth) fail(err error) {
	h.once.Do(func() {
		h.err = fmt.Errorf("%w: %w", ErrStorageFailed, err)
		h.log.Error("storage failed; the node cannot go on", "err", err)
		close(h.failed)
	})
}

func (h *storageHealth) failure() error {
	select {
	case <-h.failed:
		return h.err
	default:
		return nil
	}
}

// Failed is closed once the node's storage has failed (Failure says how).
// A node whose storage failed must be closed: what it stores from then on
// may be lost, and Badger may block writes for good. Close then returns
// within a few seconds whatever Badger does.
func (n *Node) Failed() <-chan struct{} { return n.health.failed }

// Failure is the node's storage failure, wrapping ErrStorageFailed; nil
// while the storage is healthy.
func (n *Node) Failure() error { return n.health.failure() }

// repoWatch checks that the repo folder and its datastore stay the ones
// the node opened. On Linux a removed repo goes on accepting writes into
// files that no longer have a name, and Badger fails only at its next
// table flush, then retries it forever; checking the folder reports the
// loss within repoCheckInterval.
type repoWatch struct {
	paths  []string
	opened []os.FileInfo
	health *storageHealth
	stop   chan struct{}
	done   chan struct{}
}

// watchRepo starts checking dir and its datastore folder.
func watchRepo(dir string, health *storageHealth) (*repoWatch, error) {
	w := &repoWatch{
		paths:  []string{dir, filepath.Join(dir, datastoreDir)},
		health: health,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	for _, p := range w.paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("watch repo: %w", err)
		}
		w.opened = append(w.opened, fi)
	}
	go w.run()
	return w, nil
}

func (w *repoWatch) run() {
	defer close(w.done)
	t := time.NewTicker(repoCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-w.health.failed:
			return
		case <-t.C:
			if err := w.check(); err != nil {
				w.health.fail(err)
				return
			}
		}
	}
}

// check fails when a watched folder is gone or is another one now.
func (w *repoWatch) check() error {
	for i, p := range w.paths {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("repo folder gone: %w", err)
		}
		if !os.SameFile(fi, w.opened[i]) {
			return fmt.Errorf("repo folder %s was replaced by another one", p)
		}
	}
	return nil
}

// close stops the checks; safe on nil.
func (w *repoWatch) close() {
	if w == nil {
		return
	}
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// Badger reports a failed memtable flush only in its log, then retries
// the flush every second for ever while writes queue behind it and Close
// waits on it. go-ds-badger4 replaces any Logger given in its options with
// its own go-log logger (subsystem "badger4"), so the node reads that log:
// one pipe per process, at error level, and each flush error goes to the
// node whose datastore folder it names.
var badgerLog struct {
	once sync.Once
	mu   sync.Mutex
	dirs map[string]*storageHealth // datastore folder as given to Badger
}

// watchBadgerLog reports Badger's flush errors about dir to health until
// the returned func is called.
func watchBadgerLog(dir string, health *storageHealth) (unwatch func()) {
	badgerLog.once.Do(func() {
		badgerLog.dirs = make(map[string]*storageHealth)
		go readBadgerLog(logging.NewPipeReader(logging.PipeLevel(logging.LevelError)))
	})
	badgerLog.mu.Lock()
	badgerLog.dirs[dir] = health
	badgerLog.mu.Unlock()
	return func() {
		badgerLog.mu.Lock()
		delete(badgerLog.dirs, dir)
		badgerLog.mu.Unlock()
	}
}

// maxLogLine bounds what is kept of one log line; longer lines are skipped.
const maxLogLine = 64 << 10

// readBadgerLog reads the process's error log for ever. Every logger in
// the process waits on this pipe, so it never stops reading and never
// logs itself (that would write into the pipe it is reading).
func readBadgerLog(r io.Reader) {
	br := bufio.NewReaderSize(r, maxLogLine)
	skipping := false
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			skipping = true
			continue
		case err != nil:
			return
		case skipping:
			skipping = false
			continue
		}
		var ent struct{ Logger, Msg string }
		if json.Unmarshal(line, &ent) != nil || ent.Logger != "badger4" || !strings.Contains(ent.Msg, "error flushing memtable") {
			continue
		}
		for _, h := range badgerFlushVictims(ent.Msg) {
			go h.fail(fmt.Errorf("datastore: %s", strings.TrimSpace(ent.Msg)))
		}
	}
}

// badgerFlushVictims are the stores a flush error names; every open store
// when it names none (one node per process is the rule outside tests).
func badgerFlushVictims(msg string) []*storageHealth {
	badgerLog.mu.Lock()
	defer badgerLog.mu.Unlock()
	var named, all []*storageHealth
	for dir, h := range badgerLog.dirs {
		all = append(all, h)
		if strings.Contains(msg, dir+string(filepath.Separator)) {
			named = append(named, h)
		}
	}
	if len(named) > 0 {
		return named
	}
	return all
}
