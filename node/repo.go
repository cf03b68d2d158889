package node

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
	"github.com/libp2p/go-libp2p/core/crypto"
)

// RepoVersion is the repo format this build reads and writes.
const RepoVersion = 1

const (
	versionFile  = "version"
	configFile   = "config.json"
	identityFile = "identity.key"
	lockFile     = "repo.lock"
	datastoreDir = "datastore"
)

// Errors callers branch on.
var (
	// ErrRepoLocked means another process holds the repo.
	ErrRepoLocked = errors.New("repo is in use by another process")
	// ErrRepoTooNew means the repo was written by a newer IPFS-Tube.
	ErrRepoTooNew = errors.New("repo format is newer than this program")
	// ErrNotRepo means the repo path names something that is not an
	// IPFS-Tube repo (a file, a folder of other things, a damaged version
	// file); it was left untouched.
	ErrNotRepo = errors.New("not a usable IPFS-Tube repo; left untouched")
)

// RepoConfig is what a repo remembers between runs.
type RepoConfig struct {
	// TCPPort and UDPPort are the swarm ports picked when the repo was made.
	TCPPort int `json:"tcpPort"`
	UDPPort int `json:"udpPort"`
}

// repo is an open, locked repo directory.
type repo struct {
	dir  string
	lock *flock.Flock
	cfg  RepoConfig
	key  crypto.PrivKey
}

// InitRepo creates a repo at dir if there is none yet. It is safe to call on
// an existing repo. Creation is atomic: a temporary directory beside dir is
// filled and renamed into place, so concurrent first runs end with one repo.
//
// Whatever is at dir and is not a repo is refused with ErrNotRepo and left
// exactly as it was: a file, a pipe or device, a folder holding other
// things, a dangling symlink. An empty folder becomes the repo. A symlink
// is followed: to a repo or an empty folder it works as that folder (the
// link stays, so a repo can live on another disk), to anything else it is
// refused like its target.
func InitRepo(dir string) error {
	target, state, err := inspectRepoPath(dir)
	if err != nil {
		return fmt.Errorf("init repo: %w", err)
	}
	if state == pathIsRepo {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("init repo: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(target), "."+filepath.Base(target)+".init-")
	if err != nil {
		return fmt.Errorf("init repo: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := fillNewRepo(tmp); err != nil {
		return fmt.Errorf("init repo: %w", err)
	}
	if err := publishRepo(tmp, dir, target); err != nil {
		return fmt.Errorf("init repo: %w", err)
	}
	return nil
}

// repoPathState is what inspectRepoPath found.
type repoPathState int

const (
	pathMissing repoPathState = iota
	pathEmptyDir
	pathIsRepo
)

// inspectRepoPath says what is at dir without opening or changing it, and
// where a repo made there would go (dir, or a symlink's resolved target).
// Anything that is neither missing, an empty folder nor a repo is an error
// wrapping ErrNotRepo.
func inspectRepoPath(dir string) (target string, state repoPathState, err error) {
	target = dir
	what := dir // how errors name the path: a symlink with its target
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return target, pathMissing, nil
	}
	if err != nil {
		return target, 0, err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(dir); err != nil {
			return dir, 0, fmt.Errorf("%s is a symlink to nowhere (%v): %w", dir, err, ErrNotRepo)
		}
		if fi, err = os.Lstat(target); err != nil {
			return target, 0, err
		}
		what = dir + " (a symlink to " + target + ")"
	}
	if !fi.IsDir() {
		return target, 0, fmt.Errorf("%s exists and is %s, not a folder: %w", what, fileKind(fi.Mode()), ErrNotRepo)
	}
	if _, err := os.Lstat(filepath.Join(target, versionFile)); err == nil {
		return target, pathIsRepo, nil
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return target, 0, err
	}
	if len(entries) > 0 {
		return target, 0, fmt.Errorf("%s holds other files and no %s file: %w", what, versionFile, ErrNotRepo)
	}
	return target, pathEmptyDir, nil
}

// fileKind names a file's type for an error message.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a file"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file or folder (" + m.Type().String() + ")"
}

// fillNewRepo writes a new repo's files into the empty folder tmp; the
// version file, last, marks it complete.
func fillNewRepo(tmp string) error {
	priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	keyBytes, err := crypto.MarshalPrivateKey(priv)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	cfg := RepoConfig{TCPPort: freeTCPPort(), UDPPort: freeUDPPort()}
	cfgBytes, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{identityFile, keyBytes, 0o600},
		{configFile, append(cfgBytes, '\n'), 0o644},
		{versionFile, []byte(strconv.Itoa(RepoVersion) + "\n"), 0o644},
	}
	for _, f := range files {
		if err := writeFileSync(filepath.Join(tmp, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// publishRepo renames the filled tmp to target. On POSIX systems the
// rename replaces an empty folder by itself; elsewhere the empty folder is
// removed first, with a call that removes only empty folders, so nothing
// but an empty folder is ever deleted. When another process made the repo
// meanwhile, that one wins.
func publishRepo(tmp, dir, target string) error {
	err := os.Rename(tmp, target)
	if err == nil {
		return nil
	}
	_, state, inspectErr := inspectRepoPath(dir)
	switch {
	case inspectErr != nil:
		return inspectErr
	case state == pathIsRepo:
		return nil
	case state == pathEmptyDir:
		if rmErr := removeEmptyDir(target); rmErr == nil {
			if err = os.Rename(tmp, target); err == nil {
				return nil
			}
		}
	}
	return err
}

func writeFileSync(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// openRepo locks and reads the repo at dir, creating it if needed.
func openRepo(dir string) (*repo, error) {
	if err := InitRepo(dir); err != nil {
		return nil, err
	}
	if err := CheckRepoVersion(dir); err != nil {
		return nil, err
	}
	lock, err := LockRepo(dir)
	if err != nil {
		return nil, err
	}
	r := &repo{dir: dir, lock: lock}
	cfgBytes, err := os.ReadFile(filepath.Join(dir, configFile))
	if err == nil {
		err = json.Unmarshal(cfgBytes, &r.cfg)
	}
	if err != nil {
		r.close()
		return nil, fmt.Errorf("open repo: config: %w", err)
	}
	keyBytes, err := os.ReadFile(filepath.Join(dir, identityFile))
	if err == nil {
		r.key, err = crypto.UnmarshalPrivateKey(keyBytes)
	}
	if err != nil {
		r.close()
		return nil, fmt.Errorf("open repo: identity: %w", err)
	}
	return r, nil
}

// CheckRepoVersion fails with ErrRepoTooNew for a repo made by a newer
// build, and with ErrNotRepo when the version file is not a positive
// number (a damaged repo is not an older one).
func CheckRepoVersion(dir string) error {
	text, err := readVersionFile(filepath.Join(dir, versionFile))
	if err != nil {
		return fmt.Errorf("open repo %s: %w", dir, err)
	}
	v, err := strconv.Atoi(text)
	if err != nil {
		return fmt.Errorf("open repo %s: repo version %q is not valid: %w", dir, text, ErrNotRepo)
	}
	if v < 1 {
		return fmt.Errorf("open repo %s: repo version %d is not valid: %w", dir, v, ErrNotRepo)
	}
	if v > RepoVersion {
		return fmt.Errorf("open repo %s: version %d, this program reads up to %d: %w", dir, v, RepoVersion, ErrRepoTooNew)
	}
	return nil
}

// maxVersionFile bounds what is read of a version file: a few digits.
const maxVersionFile = 64

// readVersionFile reads the version file's text, refusing anything but a
// small regular file (a pipe there would block the read).
func readVersionFile(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is %s: %w", path, fileKind(fi.Mode()), ErrNotRepo)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxVersionFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxVersionFile {
		return "", fmt.Errorf("%s is longer than a version number: %w", path, ErrNotRepo)
	}
	return strings.TrimSpace(string(b)), nil
}

// LockRepo takes the repo's exclusive lock without waiting. The lock belongs
// to the open file; the OS drops it when the process dies, so a killed
// process never leaves a stale lock behind.
func LockRepo(dir string) (*flock.Flock, error) {
	l := flock.New(filepath.Join(dir, lockFile))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock repo: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("open repo %s: %w", dir, ErrRepoLocked)
	}
	return l, nil
}

func (r *repo) close() {
	if r.lock != nil {
		r.lock.Unlock()
		r.lock = nil
	}
}

func freeTCPPort() int {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func freeUDPPort() int {
	c, err := net.ListenPacket("udp", ":0")
	if err != nil {
		return 0
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// portFree reports whether port can be bound on host right now.
func portFree(network, host string, port int) bool {
	if port == 0 {
		return true
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	if network == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}
