package settings

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ipfs-tube/ipfs-tube/library"
)

// FormatVersion is the settings file format this build reads and writes.
const FormatVersion = 1

const (
	// DefaultQuota is the disk given to seeding and cache until the user
	// picks a size: enough for a few dozen videos, small next to most disks.
	DefaultQuota int64 = 10 << 30
	// MinQuota is the smallest quota: below it not even one long video and
	// its neighbours fit, and the quota slider starts there.
	MinQuota int64 = 1 << 30
	// MaxQuota is the largest quota the app offers (2 TiB).
	MaxQuota int64 = 2 << 40
)

// Theme is the window's colour scheme.
type Theme string

// The themes. System follows the OS's light/dark preference.
const (
	ThemeSystem Theme = "system"
	ThemeLight  Theme = "light"
	ThemeDark   Theme = "dark"
)

// DefaultGateways are public trustless gateways (verifiable block and CAR
// responses, per the IPFS public gateway checker): the fallback when peers
// are scarce. Every block from them is verified by hash, so a bad gateway
// costs time, not integrity.
func DefaultGateways() []string {
	return []string{
		"https://trustless-gateway.link",
		"https://ipfs.io",
		"https://dweb.link",
		"https://4everland.io",
	}
}

// Ports are the swarm listen ports. 0 keeps the port the repo picked when
// it was created.
type Ports struct {
	// TCP is the TCP port for libp2p over TCP.
	TCP int `json:"tcp"`
	// QUIC is the UDP port for libp2p over QUIC.
	QUIC int `json:"quic"`
}

// Settings are the user's choices. The zero value is not the default: use
// Defaults (Load returns it when there is no file).
type Settings struct {
	// RepoDir is the repo directory; "" means the default one (see the app's
	// README). Changing it takes effect at the next start.
	RepoDir string `json:"repoDir"`
	// Ports take effect at the next start.
	Ports Ports `json:"ports"`
	// Quota is how many bytes of disk seeding and the watch cache may use.
	Quota int64 `json:"quotaBytes"`
	// UploadCap limits upload to peers, in bytes per second; 0 is unlimited.
	UploadCap int64 `json:"uploadCapBytesPerSecond"`
	// DownloadCap limits what the node fetches to seed (auto-seeding),
	// in bytes per second; 0 is unlimited. The user's own playback never
	// waits on it.
	DownloadCap int64 `json:"downloadCapBytesPerSecond"`
	// SeedingPaused stops serving blocks to others until resumed.
	SeedingPaused bool `json:"seedingPaused"`
	// SeedHours is the daily window in which the node seeds, "HH:MM-HH:MM"
	// in local time ("23:00-07:00" runs past midnight); "" is always.
	// Outside it seeding pauses as with SeedingPaused.
	SeedHours string `json:"seedHours"`
	// AutoSeed lets the node fetch, pin and serve popular videos the
	// network needs, within the quota. Off by default: volunteers opt in.
	AutoSeed bool `json:"autoSeed"`
	// PrivateMode: announce nothing, seed nothing of others', serve only
	// what the user shares (see the package doc).
	PrivateMode bool `json:"privateMode"`
	// KeepSeedingOnClose keeps the node running in the tray when the window
	// closes.
	KeepSeedingOnClose bool `json:"keepSeedingOnClose"`
	// StartAtLogin mirrors the OS login entry (see SetStartAtLogin).
	StartAtLogin bool `json:"startAtLogin"`
	// Theme is the colour scheme.
	Theme Theme `json:"theme"`
	// Gateways are tried in this order when peers are scarce; empty turns
	// the gateway fallback off.
	Gateways []string `json:"gateways"`
}

// Defaults are the settings of a fresh install.
func Defaults() Settings {
	return Settings{
		Quota:    DefaultQuota,
		Theme:    ThemeSystem,
		Gateways: DefaultGateways(),
	}
}

// Clone returns a copy that shares no slice with s.
func (s Settings) Clone() Settings {
	s.Gateways = slices.Clone(s.Gateways)
	return s
}

// Validate reports every invalid field at once, each error naming its field,
// so a form can show all of them.
func (s Settings) Validate() error {
	var errs []error
	if s.RepoDir != "" && !filepath.IsAbs(s.RepoDir) {
		errs = append(errs, fmt.Errorf("repo location %q: must be an absolute path", s.RepoDir))
	}
	if err := ValidatePort(s.Ports.TCP); err != nil {
		errs = append(errs, fmt.Errorf("TCP port: %w", err))
	}
	if err := ValidatePort(s.Ports.QUIC); err != nil {
		errs = append(errs, fmt.Errorf("QUIC port: %w", err))
	}
	if err := ValidateQuota(s.Quota); err != nil {
		errs = append(errs, fmt.Errorf("storage quota: %w", err))
	}
	if err := ValidateUploadCap(s.UploadCap); err != nil {
		errs = append(errs, fmt.Errorf("upload cap: %w", err))
	}
	if err := ValidateUploadCap(s.DownloadCap); err != nil {
		errs = append(errs, fmt.Errorf("download cap for seeding: %w", err))
	}
	if _, err := library.ParseSeedHours(s.SeedHours); err != nil {
		errs = append(errs, err)
	}
	switch s.Theme {
	case ThemeSystem, ThemeLight, ThemeDark:
	default:
		errs = append(errs, fmt.Errorf("theme %q: must be system, light or dark", s.Theme))
	}
	seen := map[string]bool{}
	for _, g := range s.Gateways {
		norm, err := NormalizeGateway(g)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[norm] {
			errs = append(errs, fmt.Errorf("gateway %s: listed twice", norm))
		}
		seen[norm] = true
	}
	return errors.Join(errs...)
}

// ValidateQuota accepts MinQuota … MaxQuota bytes.
func ValidateQuota(q int64) error {
	switch {
	case q < 0:
		return fmt.Errorf("%d bytes is negative", q)
	case q < MinQuota:
		return fmt.Errorf("must be at least 1 GiB, got %d bytes", q)
	case q > MaxQuota:
		return fmt.Errorf("must be at most 2 TiB, got %d bytes", q)
	}
	return nil
}

// ValidateUploadCap accepts 0 (unlimited) or a positive rate; the
// download cap takes the same.
func ValidateUploadCap(c int64) error {
	if c < 0 {
		return fmt.Errorf("%d bytes/s is negative (use 0 for unlimited)", c)
	}
	return nil
}

// ValidatePort accepts 0 (keep the repo's port) or 1024 … 65535; the ports
// below 1024 need administrator rights on most systems.
func ValidatePort(p int) error {
	switch {
	case p == 0:
		return nil
	case p < 0 || p > 65535:
		return fmt.Errorf("%d is not a port (1024–65535, or 0 to keep the current one)", p)
	case p < 1024:
		return fmt.Errorf("%d needs administrator rights; pick 1024–65535", p)
	}
	return nil
}

// NormalizeGateway checks a gateway base URL and returns it trimmed, without
// a trailing slash. It must be https://, or plain http:// on this machine
// only (127.0.0.1, ::1, localhost), since plain HTTP elsewhere would let
// anyone on the path see what is watched. No query, fragment or user info.
func NormalizeGateway(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("gateway: empty URL")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("gateway %q: not a URL like https://gateway.example", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("gateway %q: only scheme, host, port and path are allowed", s)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("gateway %q: plain http:// is allowed only on this machine (127.0.0.1); use https://", s)
	}
	if port := u.Port(); port != "" {
		var n int
		if _, err := fmt.Sscanf(port, "%d", &n); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("gateway %q: bad port %q", s, port)
		}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return strings.TrimRight(u.String(), "/"), nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// keepValid gives every field that does not validate its default, and
// drops gateways that do not or that repeat one: what Load does with a
// file from a newer build, which may allow values this one cannot use.
func (s *Settings) keepValid() {
	d := Defaults()
	if s.RepoDir != "" && !filepath.IsAbs(s.RepoDir) {
		s.RepoDir = d.RepoDir
	}
	if ValidatePort(s.Ports.TCP) != nil {
		s.Ports.TCP = d.Ports.TCP
	}
	if ValidatePort(s.Ports.QUIC) != nil {
		s.Ports.QUIC = d.Ports.QUIC
	}
	if ValidateQuota(s.Quota) != nil {
		s.Quota = d.Quota
	}
	if ValidateUploadCap(s.UploadCap) != nil {
		s.UploadCap = d.UploadCap
	}
	if ValidateUploadCap(s.DownloadCap) != nil {
		s.DownloadCap = d.DownloadCap
	}
	if _, err := library.ParseSeedHours(s.SeedHours); err != nil {
		s.SeedHours = d.SeedHours
	}
	switch s.Theme {
	case ThemeSystem, ThemeLight, ThemeDark:
	default:
		s.Theme = d.Theme
	}
	seen := map[string]bool{}
	s.Gateways = slices.DeleteFunc(s.Gateways, func(g string) bool {
		norm, err := NormalizeGateway(g)
		if err != nil || seen[norm] {
			return true
		}
		seen[norm] = true
		return false
	})
}

// normalize fills what an older or hand-edited file left out and tidies
// gateway URLs; it does not validate.
func (s *Settings) normalize() {
	if s.Theme == "" {
		s.Theme = ThemeSystem
	}
	for i, g := range s.Gateways {
		if n, err := NormalizeGateway(g); err == nil {
			s.Gateways[i] = n
		}
	}
}
