//go:build linux || darwin || freebsd

package node

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// allocated returns the bytes info's file occupies on disk; shared is true
// when other hard links may name the same inode.
func allocated(info fs.FileInfo) (n int64, id fileID, shared bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return info.Size(), fileID{}, false
	}
	// st_blocks is in 512-byte units whatever the file system's block
	// size (POSIX leaves the unit open, but Linux, macOS and FreeBSD all
	// use 512, and du relies on it).
	return int64(st.Blocks) * 512, fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, !info.IsDir() && uint64(st.Nlink) > 1
}

func freeSpace(dir string) (free, total int64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	// Bsize is the unit of the block counts on these systems; on Linux it
	// equals f_frsize for every disk file system in use.
	bs := int64(st.Bsize)
	return int64(st.Bavail) * bs, int64(st.Blocks) * bs, nil
}
