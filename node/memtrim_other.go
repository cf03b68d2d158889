//go:build !linux

package node

// releaseMappedPages does nothing off Linux yet: there the OS trims mapped
// file pages under memory pressure on its own, and the memory bound is
// only measured on Linux.
func releaseMappedPages(dir string) error { return nil }
