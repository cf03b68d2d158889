package node

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// DiskUsage returns the bytes the files and directories under dir occupy
// on disk, the way `du -s --block-size=1` counts them: allocated blocks
// (st_blocks × 512) rather than apparent sizes, because Badger preallocates
// its value-log and memtable files sparse, so an empty repo whose files add
// up to gigabytes holds only kilobytes. A file with several hard links
// counts once. Symbolic links are not followed. On systems without block
// counts (Windows) it adds up file sizes, which there match what is
// allocated: Badger's preallocated files are not sparse on NTFS.
//
// Files that vanish while it walks (Badger deletes value-log files as it
// reclaims space) are skipped, so it can sample a live repo. Cost: one
// lstat per entry; see TestDiskUsageSpeed for a measurement.
func DiskUsage(dir string) (int64, error) {
	var total int64
	seen := map[fileID]struct{}{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path != dir {
				return nil
			}
			return err
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		n, id, shared := allocated(info)
		if shared {
			if _, dup := seen[id]; dup {
				return nil
			}
			seen[id] = struct{}{}
		}
		total += n
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("node.DiskUsage %s: %w", dir, err)
	}
	return total, nil
}

// FreeSpace reports the bytes an unprivileged process may still write on
// the file system holding dir (blocks reserved for root excluded, as `df`
// shows them under "Avail") and the file system's size.
func FreeSpace(dir string) (free, total int64, err error) {
	free, total, err = freeSpace(dir)
	if err != nil {
		return 0, 0, fmt.Errorf("node.FreeSpace %s: %w", dir, err)
	}
	return free, total, nil
}

// fileID names an inode, to count hard-linked files once.
type fileID struct{ dev, ino uint64 }
