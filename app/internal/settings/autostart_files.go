//go:build linux || darwin

package settings

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Linux and macOS register a login item as a file: an XDG autostart entry,
// a LaunchAgent plist.

// writeOrRemove writes data to path (0644, as login items are read by the
// system as the user) or removes it; removing what is not there is fine.
func writeOrRemove(path string, write bool, data []byte) error {
	if !write {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := writeAtomic(path, data); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}
