//go:build !linux && !windows && !darwin

package settings

func setStartAtLogin(enable bool, argv []string) error {
	if !enable {
		return nil // nothing was registered, so there is nothing to remove
	}
	return ErrStartAtLoginUnsupported
}

func startAtLoginEnabled() (bool, error) { return false, nil }
