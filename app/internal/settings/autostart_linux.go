package settings

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// autostartPath is $XDG_CONFIG_HOME/autostart/ipfs-tube.desktop, which
// os.UserConfigDir resolves (~/.config when XDG_CONFIG_HOME is unset).
func autostartPath() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "autostart", autostartName), nil
}

func setStartAtLogin(enable bool, argv []string) error {
	path, err := autostartPath()
	if err != nil {
		return err
	}
	if !enable {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := writeAtomic(path, []byte(desktopEntry(argv))); err != nil {
		return err
	}
	// Desktop entries are read by the session manager as the user; 0644
	// is what desktop files usually carry.
	return os.Chmod(path, 0o644)
}

func startAtLoginEnabled() (bool, error) {
	path, err := autostartPath()
	if err != nil {
		return false, err
	}
	_, err = os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}
