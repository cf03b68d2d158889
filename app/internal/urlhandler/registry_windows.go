//go:build windows

package urlhandler

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// OnStart is the first-run registration (see the package doc): it returns
// the schemes it pointed at exe.
func OnStart(exe string) ([]string, error) {
	markKey, markName := MarkValue()
	mark, err := readString(markKey, markName)
	if err != nil {
		return nil, fmt.Errorf("urlhandler.OnStart: %w", err)
	}
	own, err := stateOfKey(ProgIDCommandKey(), exe)
	if err != nil {
		return nil, fmt.Errorf("urlhandler.OnStart: %w", err)
	}
	states := map[string]State{}
	for _, s := range Schemes {
		if states[s], err = stateOfKey(SchemeCommandKey(s), exe); err != nil {
			return nil, fmt.Errorf("urlhandler.OnStart: %w", err)
		}
	}
	schemes, writeOwn := Plan(mark == "", own, states)
	if err := apply(exe, schemes, writeOwn); err != nil {
		return nil, fmt.Errorf("urlhandler.OnStart: %w", err)
	}
	return schemes, nil
}

// Register points every scheme at exe, taking over from other programs:
// `ipfs-tube register`.
func Register(exe string) error {
	if err := apply(exe, Schemes, true); err != nil {
		return fmt.Errorf("urlhandler.Register: %w", err)
	}
	return nil
}

// Unregister removes what Register and OnStart wrote: our own keys, the
// RegisteredApplications value, and each scheme's key while it still runs
// an ipfs-tube.exe. Removing what is not there is not an error.
func Unregister() error {
	for _, s := range Schemes {
		cmd, err := readString(SchemeCommandKey(s), "")
		if err != nil {
			return fmt.Errorf("urlhandler.Unregister: %w", err)
		}
		if IsOurs(cmd) {
			if err := deleteTree(SchemeKey(s)); err != nil {
				return fmt.Errorf("urlhandler.Unregister: %w", err)
			}
		}
	}
	for _, k := range OwnedKeys() {
		if err := deleteTree(k); err != nil {
			return fmt.Errorf("urlhandler.Unregister: %w", err)
		}
	}
	key, name := RegisteredAppsValue()
	k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("urlhandler.Unregister: %w", err)
	}
	defer k.Close()
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("urlhandler.Unregister: %w", err)
	}
	return nil
}

func apply(exe string, schemes []string, writeOwn bool) error {
	var entries []Entry
	for _, s := range schemes {
		entries = append(entries, SchemeEntries(s, exe)...)
	}
	if writeOwn {
		entries = append(entries, OwnEntries(exe)...)
	}
	for _, e := range entries {
		k, _, err := registry.CreateKey(registry.CURRENT_USER, e.Key, registry.SET_VALUE)
		if err != nil {
			return fmt.Errorf(`HKCU\%s: %w`, e.Key, err)
		}
		err = k.SetStringValue(e.Name, e.Value)
		k.Close()
		if err != nil {
			return fmt.Errorf(`HKCU\%s\%s: %w`, e.Key, e.Name, err)
		}
	}
	return nil
}

// readString reads a string value; "" when the key or value is missing.
func readString(key, name string) (string, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf(`HKCU\%s: %w`, key, err)
	}
	defer k.Close()
	v, _, err := k.GetStringValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf(`HKCU\%s\%s: %w`, key, name, err)
	}
	return v, nil
}

func stateOfKey(key, exe string) (State, error) {
	cmd, err := readString(key, "")
	if err != nil {
		return Free, err
	}
	return StateOf(cmd, exe), nil
}

// deleteTree deletes a key and everything under it (registry.DeleteKey
// only deletes keys without subkeys).
func deleteTree(path string) error {
	k, err := registry.OpenKey(registry.CURRENT_USER, path, registry.ENUMERATE_SUB_KEYS)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf(`HKCU\%s: %w`, path, err)
	}
	subs, err := k.ReadSubKeyNames(-1)
	k.Close()
	if err != nil {
		return fmt.Errorf(`HKCU\%s: %w`, path, err)
	}
	for _, s := range subs {
		if err := deleteTree(path + `\` + s); err != nil {
			return err
		}
	}
	if err := registry.DeleteKey(registry.CURRENT_USER, path); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf(`HKCU\%s: %w`, path, err)
	}
	return nil
}
