//go:build darwin

package settings

import (
	"os"
	"path/filepath"
)

// launchAgentPath is ~/Library/LaunchAgents/<label>.plist, which launchd
// reads at the user's next login.
func launchAgentPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "LaunchAgents", launchAgentLabel+".plist"), nil
}

func setStartAtLogin(enable bool, argv []string) error {
	path, err := launchAgentPath()
	if err != nil {
		return err
	}
	return writeOrRemove(path, enable, []byte(launchAgentPlist(argv)))
}

func startAtLoginEnabled() (bool, error) {
	path, err := launchAgentPath()
	if err != nil {
		return false, err
	}
	return fileExists(path)
}
