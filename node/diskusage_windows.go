//go:build windows

package node

import (
	"io/fs"

	"golang.org/x/sys/windows"
)

func allocated(info fs.FileInfo) (n int64, id fileID, shared bool) {
	if info.IsDir() {
		return 0, fileID{}, false
	}
	return info.Size(), fileID{}, false
}

func freeSpace(dir string) (free, total int64, err error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, 0, err
	}
	var avail, size, totalFree uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &size, &totalFree); err != nil {
		return 0, 0, err
	}
	return int64(avail), int64(size), nil
}
