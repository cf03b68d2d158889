//go:build windows

package settings

import (
	"errors"

	"golang.org/x/sys/windows/registry"
)

// runKey is the per-user list of programs Windows starts at login.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

func setStartAtLogin(enable bool, argv []string) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	if !enable {
		if err := k.DeleteValue(runValueName); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return err
		}
		return nil
	}
	return k.SetStringValue(runValueName, windowsCommandLine(argv))
}

func startAtLoginEnabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer k.Close()
	_, _, err = k.GetStringValue(runValueName)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, registry.ErrNotExist):
		return false, nil
	}
	return false, err
}
