package node

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// releaseMappedPages asks the kernel to take back this process's resident
// pages of every file mapped from dir (Badger's value-log, table and
// memtable files). MADV_PAGEOUT keeps contents: clean pages are dropped
// and read back from disk when touched again, dirty ones are unmapped and
// written back as usual. It is also harmless if Badger unmaps a file and
// the range is reused between reading the map list and the call, which is
// why it is used rather than MADV_DONTNEED (that would zero anonymous
// memory that landed there).
func releaseMappedPages(dir string) error {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return fmt.Errorf("release mapped pages: %w", err)
	}
	prefix := []byte(filepath.Clean(dir) + string(filepath.Separator))
	var firstErr error
	sc := bufio.NewScanner(bytes.NewReader(maps))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		// "start-end perms offset dev inode   path"
		line := sc.Bytes()
		i := bytes.IndexByte(line, '/')
		if i < 0 || !bytes.HasPrefix(line[i:], prefix) {
			continue
		}
		fields := bytes.Fields(line[:i])
		if len(fields) < 1 {
			continue
		}
		start, end, ok := bytes.Cut(fields[0], []byte("-"))
		if !ok {
			continue
		}
		lo, err1 := strconv.ParseUint(string(start), 16, 64)
		hi, err2 := strconv.ParseUint(string(end), 16, 64)
		if err1 != nil || err2 != nil || hi <= lo {
			continue
		}
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(lo), uintptr(hi-lo), unix.MADV_PAGEOUT)
		// EINVAL: a kernel before 5.4 (no MADV_PAGEOUT); ENOMEM: the
		// range was unmapped meanwhile. Neither harms anything.
		if errno != 0 && errno != unix.ENOMEM && firstErr == nil {
			firstErr = fmt.Errorf("release mapped pages: madvise: %w", errno)
		}
	}
	return firstErr
}
