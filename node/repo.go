package node

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
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
func InitRepo(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, versionFile)); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("init repo: %w", err)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("init repo: %s exists and is not an IPFS-Tube repo (no %s file)", dir, versionFile)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".init-")
	if err != nil {
		return fmt.Errorf("init repo: %w", err)
	}
	defer os.RemoveAll(tmp)

	priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return fmt.Errorf("init repo: identity: %w", err)
	}
	keyBytes, err := crypto.MarshalPrivateKey(priv)
	if err != nil {
		return fmt.Errorf("init repo: identity: %w", err)
	}
	cfg := RepoConfig{TCPPort: freeTCPPort(), UDPPort: freeUDPPort()}
	cfgBytes, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("init repo: %w", err)
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
			return fmt.Errorf("init repo: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Someone else finished first, or an empty directory is in the way.
		if _, statErr := os.Stat(filepath.Join(dir, versionFile)); statErr == nil {
			return nil
		}
		if rmErr := os.Remove(dir); rmErr == nil {
			if err := os.Rename(tmp, dir); err == nil {
				return nil
			}
		}
		return fmt.Errorf("init repo: %w", err)
	}
	return nil
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

// CheckRepoVersion fails with ErrRepoTooNew for a repo made by a newer build.
func CheckRepoVersion(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, versionFile))
	if err != nil {
		return fmt.Errorf("open repo: %w", err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("open repo: bad version file %q", strings.TrimSpace(string(b)))
	}
	if v > RepoVersion {
		return fmt.Errorf("open repo %s: version %d, this program reads up to %d: %w", dir, v, RepoVersion, ErrRepoTooNew)
	}
	return nil
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
