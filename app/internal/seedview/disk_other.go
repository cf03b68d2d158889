//go:build !unix && !windows

package seedview

import "errors"

func freeDisk(string) (int64, error) { return 0, errors.New("free disk space unknown on this OS") }
