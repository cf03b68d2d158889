//go:build !windows

package main

// attachParentConsole: programs here always have their terminal's handles.
func attachParentConsole() {}
