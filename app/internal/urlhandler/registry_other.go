//go:build !windows

package urlhandler

// OnStart registers nothing here: the package's desktop file or the app
// bundle does it.
func OnStart(exe string) ([]string, error) { return nil, nil }

// Register returns ErrUnsupported: see the package doc.
func Register(exe string) error { return ErrUnsupported }

// Unregister has nothing to remove here.
func Unregister() error { return nil }
