package main

import "errors"

// openApp opens the desktop window; with open set, on that video.
func (c *cli) openApp(open string) error {
	return errors.New("the desktop window is not built yet")
}
