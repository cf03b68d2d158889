//go:build !linux && !darwin && !freebsd && !windows

package node

import (
	"errors"
	"io/fs"
)

func allocated(info fs.FileInfo) (n int64, id fileID, shared bool) {
	if info.IsDir() {
		return 0, fileID{}, false
	}
	return info.Size(), fileID{}, false
}

func freeSpace(string) (free, total int64, err error) {
	return 0, 0, errors.New("free space is not known on this system")
}
