//go:build !windows

package node

import "syscall"

// removeEmptyDir removes path only if it is an empty folder: rmdir(2)
// refuses files and folders that hold anything.
func removeEmptyDir(path string) error { return syscall.Rmdir(path) }
