package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// get writes a temporary file beside PATH and renames it over PATH, so
// the file is whole or absent. A rename replaces whatever PATH is, so
// what PATH is gets checked before anything is fetched (and again before
// the rename): only a regular file is replaced; a missing one is created.
//
// Refused: a directory (the rename would fail only after the whole
// download), a named pipe, socket or device (`get CID -o /dev/full` as
// root would turn the device into a file; `cat CID > PATH` writes into
// them), and a symbolic link, even to a regular file. cp writes through
// a link, but get's rename would replace the link itself, and following
// it would let whoever controls a shared directory's links choose which
// file a root `get` replaces; so the user names the real file.

// checkGetTarget says whether get may write PATH; a usage error says why
// not.
func checkGetTarget(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return checkGetDir(filepath.Dir(path))
	case err != nil:
		return usagef("get: %w", err)
	}
	if why := refusedTarget(fi.Mode()); why != "" {
		return usagef("get: %s is %s", path, why)
	}
	return nil
}

// checkGetDir makes sure the new file's directory is there, so a typo
// fails before the download rather than after it.
func checkGetDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return usagef("get: %w", err)
	}
	if !fi.IsDir() {
		return usagef("get: %s is not a directory", dir)
	}
	return nil
}

// refusedTarget says why get must not replace a file of mode m, or ""
// when it may (a regular file).
func refusedTarget(m fs.FileMode) string {
	const useCat = "; get replaces files whole: to write into it use `ipfs-tube cat CID > PATH`"
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a directory; name the file to write, e.g. -o DIR/NAME"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link; get would replace the link, not the file it points to: name that file instead"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe, not a regular file" + useCat
	case m&fs.ModeSocket != 0:
		return "a socket, not a regular file"
	case m&fs.ModeDevice != 0:
		return "a device, not a regular file" + useCat
	}
	return "not a regular file"
}
