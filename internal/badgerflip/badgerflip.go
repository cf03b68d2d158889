// Package badgerflip damages a Badger value log on purpose, for tests of
// what a repo does with a block that a failing disk has changed.
package badgerflip

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// probeLen is how much of the needle is searched for before the whole of it
// is compared: enough to be unique, short enough to search fast.
const probeLen = 256

// Flip finds needle in exactly one of the value-log files in datastore (a
// Badger folder) and flips one bit in its middle, as a failing disk would.
// The test fails when the needle is not there exactly once.
func Flip(t testing.TB, datastore string, needle []byte) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(datastore, "*.vlog"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no value-log files in %s: %v", datastore, err)
	}
	found := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range occurrences(data, needle) {
			found++
			flipBit(t, f, int64(at+len(needle)/2), data[at+len(needle)/2])
		}
	}
	if found != 1 {
		t.Fatalf("the block's bytes are %d times in %d value-log files, want once", found, len(files))
	}
}

// occurrences are the offsets of needle in data.
func occurrences(data, needle []byte) []int {
	probe := needle[:min(probeLen, len(needle))]
	var at []int
	for off := 0; ; {
		i := bytes.Index(data[off:], probe)
		if i < 0 {
			return at
		}
		start := off + i
		if bytes.Equal(data[start:min(start+len(needle), len(data))], needle) {
			at = append(at, start)
			off = start + len(needle)
			continue
		}
		off = start + 1
	}
}

func flipBit(t testing.TB, file string, pos int64, was byte) {
	t.Helper()
	fh, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.WriteAt([]byte{was ^ 0x10}, pos); err != nil {
		fh.Close()
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}
