package settings

import (
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
	return writeOrRemove(path, enable, []byte(desktopEntry(argv)))
}

func startAtLoginEnabled() (bool, error) {
	path, err := autostartPath()
	if err != nil {
		return false, err
	}
	return fileExists(path)
}
