package node

import "syscall"

// removeEmptyDir removes path only if it is an empty folder:
// RemoveDirectory refuses files and folders that hold anything.
func removeEmptyDir(path string) error {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	return syscall.RemoveDirectory(p)
}
