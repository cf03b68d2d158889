//go:build !unix

package main

// openNonBlock is unix's O_NONBLOCK; elsewhere opening a path does not wait
// for a writer the way a unix FIFO does.
const openNonBlock = 0
