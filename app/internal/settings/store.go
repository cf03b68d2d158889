package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// FileName is the settings file inside the settings directory.
const FileName = "settings.json"

// Errors callers branch on.
var (
	// ErrCorrupt means the file exists but is not a settings file this build
	// can use (bad JSON, wrong types or invalid values). It is left as it is.
	ErrCorrupt = errors.New("settings file is damaged")
	// ErrNewerFormat means a newer IPFS-Tube wrote the file; this build reads
	// it but does not overwrite it.
	ErrNewerFormat = errors.New("settings file was written by a newer IPFS-Tube")
)

// DefaultDir is where the app keeps settings: os.UserConfigDir()/ipfs-tube
// ($XDG_CONFIG_HOME/ipfs-tube or ~/.config/ipfs-tube on Linux). When the OS
// has no config directory it falls back to the temporary directory, so the
// app still starts (and says so in the log when saving there).
func DefaultDir() string {
	base, err := os.UserConfigDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "ipfs-tube")
}

// Load reads dir/settings.json. A missing file gives Defaults and no error.
// A damaged file gives Defaults and an error wrapping ErrCorrupt (the file is
// not touched). A file from a newer build is read as far as this build knows
// its fields, without error; Save will refuse to overwrite it.
func Load(dir string) (Settings, error) {
	s, _, err := load(dir)
	if err != nil {
		return Defaults(), fmt.Errorf("settings.Load: %w", err)
	}
	return s, nil
}

// Save validates s and writes it to dir/settings.json atomically, keeping
// the fields a newer build added. It refuses to overwrite a file from a
// newer format (ErrNewerFormat) and moves a damaged file aside to
// settings.json.corrupt before writing.
func Save(dir string, s Settings) error {
	if err := save(dir, s); err != nil {
		return fmt.Errorf("settings.Save: %w", err)
	}
	return nil
}

// fileState is what load learned about the file beyond the settings.
type fileState struct {
	exists  bool
	corrupt bool
	version int
	extra   map[string]json.RawMessage // keys this build does not know
}

func load(dir string) (Settings, fileState, error) {
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Defaults(), fileState{}, nil
	}
	if err != nil {
		return Defaults(), fileState{}, err
	}
	st := fileState{exists: true, corrupt: true}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return Defaults(), st, fmt.Errorf("%s: %w: %v", path, ErrCorrupt, err)
	}
	st.version = FormatVersion // a hand-written file without a version reads as ours
	if v, ok := raw["version"]; ok {
		if err := json.Unmarshal(v, &st.version); err != nil || st.version < 1 {
			return Defaults(), st, fmt.Errorf("%s: %w: bad version %s", path, ErrCorrupt, v)
		}
	}
	s := Defaults()
	// Unmarshal over the defaults, so a key missing from the file keeps its
	// default while an explicit empty list stays empty.
	s.Gateways = nil
	if err := json.Unmarshal(data, &s); err != nil {
		return Defaults(), st, fmt.Errorf("%s: %w: %v", path, ErrCorrupt, err)
	}
	if _, ok := raw["gateways"]; !ok {
		s.Gateways = DefaultGateways()
	} else if s.Gateways == nil {
		s.Gateways = []string{} // "gateways": null reads as "none", like []
	}
	s.normalize()
	if err := s.Validate(); err != nil {
		if st.version <= FormatVersion {
			return Defaults(), st, fmt.Errorf("%s: %w: %v", path, ErrCorrupt, err)
		}
		// A newer build may allow values this one cannot use: those
		// fields take their defaults here (the file stays as it is).
		s.keepValid()
	}
	st.corrupt = false
	st.extra = unknownKeys(raw)
	return s, st, nil
}

// unknownKeys are the top-level keys of raw that Settings does not define.
// encoding/json matches keys to fields ignoring case, so "quotabytes" is
// known too: kept as unknown, it would be saved beside "quotaBytes" and
// could win over it at the next load.
func unknownKeys(raw map[string]json.RawMessage) map[string]json.RawMessage {
	known, _ := json.Marshal(Settings{})
	var knownKeys map[string]json.RawMessage
	_ = json.Unmarshal(known, &knownKeys)
	knownKeys["version"] = nil
	extra := map[string]json.RawMessage{}
	for k, v := range raw {
		if !matchesKey(k, knownKeys) {
			extra[k] = v
		}
	}
	return extra
}

// matchesKey says whether encoding/json would read key into one of keys.
func matchesKey(key string, keys map[string]json.RawMessage) bool {
	for k := range keys {
		if strings.EqualFold(key, k) {
			return true
		}
	}
	return false
}

func save(dir string, s Settings) error {
	s = s.Clone()
	s.normalize()
	if s.Gateways == nil {
		s.Gateways = []string{}
	}
	if err := s.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	_, st, err := load(dir)
	path := filepath.Join(dir, FileName)
	switch {
	case st.corrupt:
		// Keep what the user had, in case they want to recover it by hand.
		if err := os.Rename(path, path+".corrupt"); err != nil {
			return fmt.Errorf("moving the damaged file aside: %w", err)
		}
	case err != nil:
		return err
	case st.version > FormatVersion:
		return fmt.Errorf("%s (format %d, this build writes %d): %w", path, st.version, FormatVersion, ErrNewerFormat)
	}

	known, err := json.Marshal(s)
	if err != nil {
		return err
	}
	out := map[string]json.RawMessage{}
	for k, v := range st.extra {
		out[k] = v
	}
	if err := json.Unmarshal(known, &out); err != nil {
		return err
	}
	out["version"] = json.RawMessage(fmt.Sprint(FormatVersion))
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(data, '\n'))
}

// writeAtomic replaces path with data so that a crash at any point leaves
// either the old file or the new one.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	// The rename is durable only once the directory entry is.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // not supported on every OS (Windows); the rename stands anyway
		d.Close()
	}
	return nil
}

// Store is the settings file of one directory, safe for concurrent use by
// the views of one process: Update reads, changes and writes under a lock,
// so two views that each change their own fields never undo each other.
type Store struct {
	dir string

	mu       sync.Mutex
	watchers map[int]func(Settings)
	nextID   int
}

// NewStore returns the store of dir/settings.json (DefaultDir for the app).
func NewStore(dir string) *Store {
	return &Store{dir: dir, watchers: map[int]func(Settings){}}
}

// Dir is the directory that holds the settings file.
func (st *Store) Dir() string { return st.dir }

// Load reads the settings; see the package-level Load.
func (st *Store) Load() (Settings, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return Load(st.dir)
}

// Update loads the settings, lets change edit them and saves the result,
// returning what was saved. When change returns an error or the result does
// not validate, nothing is written. A damaged file is replaced (after being
// moved aside), since the user is choosing new values now.
func (st *Store) Update(change func(*Settings) error) (Settings, error) {
	st.mu.Lock()
	s, _, err := load(st.dir)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		st.mu.Unlock()
		return Settings{}, fmt.Errorf("settings.Update: %w", err)
	}
	if err := change(&s); err != nil {
		st.mu.Unlock()
		return Settings{}, fmt.Errorf("settings.Update: %w", err)
	}
	if err := save(st.dir, s); err != nil {
		st.mu.Unlock()
		return Settings{}, fmt.Errorf("settings.Update: %w", err)
	}
	watchers := make([]func(Settings), 0, len(st.watchers))
	for _, w := range st.watchers {
		watchers = append(watchers, w)
	}
	st.mu.Unlock()
	for _, w := range watchers {
		w(s.Clone())
	}
	return s.Clone(), nil
}

// Watch calls fn with the new settings after every successful Update, on
// the updating goroutine, until the returned cancel is called. It lets one
// view follow changes another view made.
func (st *Store) Watch(fn func(Settings)) (cancel func()) {
	st.mu.Lock()
	defer st.mu.Unlock()
	id := st.nextID
	st.nextID++
	st.watchers[id] = fn
	return func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		delete(st.watchers, id)
	}
}

// Equal reports whether a and b hold the same choices (no gateways and an
// empty gateway list are the same choice).
func Equal(a, b Settings) bool {
	if a.Gateways == nil {
		a.Gateways = []string{}
	}
	if b.Gateways == nil {
		b.Gateways = []string{}
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
