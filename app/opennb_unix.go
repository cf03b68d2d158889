//go:build unix

package main

import "syscall"

// openNonBlock makes opening a FIFO return at once instead of waiting for a
// writer; regular files ignore it.
const openNonBlock = syscall.O_NONBLOCK
