package kubotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// readyTimeout bounds start-up. Kubo is ready in about a second, but CI
	// runs it while the race-enabled builds of other packages load both cores.
	readyTimeout = 2 * time.Minute
	// stopTimeout bounds the graceful shutdown after SIGINT before SIGKILL.
	stopTimeout = 20 * time.Second
	// runTimeout bounds one CLI call so a wedged daemon fails the test
	// instead of eating the whole go test timeout.
	runTimeout = 10 * time.Minute

	readyLine = "Daemon is ready"
)

// Daemon is a running Kubo daemon with its own repository, reachable only on
// 127.0.0.1.
type Daemon struct {
	// Bin is the ipfs binary and Repo the IPFS_PATH the daemon runs with;
	// Run uses both.
	Bin, Repo string
	// PeerID is the daemon's libp2p peer ID.
	PeerID string
	// APIAddr is the RPC API multiaddr, e.g. /ip4/127.0.0.1/tcp/41234.
	APIAddr string
	// GatewayAddr is the HTTP gateway's host:port, e.g. 127.0.0.1:38159.
	GatewayAddr string
	// SwarmAddrs are the libp2p addresses the daemon reports for itself,
	// each ending in /p2p/<PeerID>, ready for peer.AddrInfosFromP2pAddrs.
	SwarmAddrs []string

	cmd      *exec.Cmd
	out      *outputWatcher
	exited   chan struct{} // closed once the process has been reaped
	waitErr  error         // valid after exited is closed
	stopOnce sync.Once
	stopErr  error
}

// Option adjusts the daemon's configuration before it starts.
type Option func(*settings)

type settings struct {
	routing    string
	bootstrap  []string
	swarmAddrs []string
	config     []configEdit
}

type configEdit struct {
	key   string
	value any
}

// WithRoutingType sets Kubo's Routing.Type. The default is "none": peers
// connect explicitly, which keeps bitswap tests free of DHT timing. Use
// "dhtserver" for tests of content routing, so that Kubo answers DHT queries
// from loopback peers.
func WithRoutingType(typ string) Option {
	return func(s *settings) { s.routing = typ }
}

// WithBootstrap sets the daemon's bootstrap peers (full multiaddrs with
// /p2p/<id>). The default is none.
func WithBootstrap(addrs ...string) Option {
	return func(s *settings) { s.bootstrap = append([]string(nil), addrs...) }
}

// WithSwarmAddrs replaces the libp2p listen addresses. The default listens
// on TCP and QUIC v1 at 127.0.0.1 with kernel-chosen ports.
func WithSwarmAddrs(addrs ...string) Option {
	return func(s *settings) { s.swarmAddrs = append([]string(nil), addrs...) }
}

// WithConfig sets one Kubo config key (dotted path, as `ipfs config` takes)
// to a JSON-encodable value, after the loopback defaults, so it can override
// them.
func WithConfig(key string, value any) Option {
	return func(s *settings) { s.config = append(s.config, configEdit{key, value}) }
}

// StartDaemon initializes a fresh repository in a temporary directory with
// Kubo's test and unixfs-v1-2025 profiles, confines it to loopback, starts
// `ipfs daemon`, and waits until it reports ready. The daemon is stopped when
// the test ends.
func StartDaemon(t testing.TB, opts ...Option) *Daemon {
	t.Helper()
	s := settings{
		routing:    "none",
		bootstrap:  []string{},
		swarmAddrs: []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"},
	}
	for _, o := range opts {
		o(&s)
	}

	d := &Daemon{Bin: Binary(t), Repo: t.TempDir()}
	if _, err := d.RunErr("init", "--profile=test,unixfs-v1-2025"); err != nil {
		t.Fatalf("kubotest.StartDaemon: %v", err)
	}
	if err := d.configure(s); err != nil {
		t.Fatalf("kubotest.StartDaemon: %v", err)
	}

	d.out = newOutputWatcher(readyLine)
	d.cmd = exec.Command(d.Bin, "daemon", "--migrate=false")
	d.cmd.Env = d.env()
	// Writers that are not *os.File make exec copy through pipes we own, so
	// a daemon orphaned by a crashed test never holds go test's output open.
	d.cmd.Stdout = d.out
	d.cmd.Stderr = d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("kubotest.StartDaemon: %v", err)
	}
	d.exited = make(chan struct{})
	go func() {
		d.waitErr = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Errorf("kubotest: stopping daemon: %v", err)
		}
		if t.Failed() {
			t.Logf("kubotest: daemon output:\n%s", d.out.text())
		}
	})

	select {
	case <-d.out.ready:
	case <-d.exited:
		t.Fatalf("kubotest.StartDaemon: daemon exited before ready: %v\n%s", d.waitErr, d.out.text())
	case <-time.After(readyTimeout):
		t.Fatalf("kubotest.StartDaemon: daemon not ready after %v\n%s", readyTimeout, d.out.text())
	}

	if err := d.readAddrs(); err != nil {
		t.Fatalf("kubotest.StartDaemon: %v", err)
	}
	return d
}

// configure edits the repo's config file directly: one `ipfs config` process
// per key would cost seconds per daemon.
func (d *Daemon) configure(s settings) error {
	path := filepath.Join(d.Repo, "config")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	edits := []configEdit{
		// The test profile already binds API and gateway to 127.0.0.1:0;
		// restated so a change of profile cannot widen them silently.
		{"Addresses.API", "/ip4/127.0.0.1/tcp/0"},
		{"Addresses.Gateway", "/ip4/127.0.0.1/tcp/0"},
		{"Addresses.Swarm", s.swarmAddrs},
		{"Bootstrap", s.bootstrap},
		{"Routing.Type", s.routing},
		// Everything below would otherwise reach beyond loopback: LAN
		// discovery, remote configuration, certificates, relays, NAT probing,
		// HTTP retrieval from providers and usage reporting.
		{"Discovery.MDNS.Enabled", false},
		{"AutoConf.Enabled", false},
		{"AutoTLS.Enabled", false},
		{"AutoNAT.ServiceMode", "disabled"},
		{"Swarm.DisableNatPortMap", true},
		{"Swarm.RelayClient.Enabled", false},
		{"Swarm.RelayService.Enabled", false},
		{"Swarm.EnableHolePunching", false},
		{"HTTPRetrieval.Enabled", false},
		{"Plugins.Plugins.telemetry.Config.Mode", "off"},
	}
	for _, e := range append(edits, s.config...) {
		if err := setKey(cfg, e.key, e.value); err != nil {
			return err
		}
	}
	b, err = json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// setKey sets a dotted key in a decoded JSON object, creating (or replacing
// null with) intermediate objects as `ipfs config` does.
func setKey(cfg map[string]any, key string, value any) error {
	parts := strings.Split(key, ".")
	m := cfg
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			if m[p] != nil {
				return fmt.Errorf("config key %s: %s is not an object", key, p)
			}
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = value
	return nil
}

// readAddrs learns the ports the kernel picked. The api and gateway files are
// written by the daemon before it reports ready.
func (d *Daemon) readAddrs() error {
	api, err := os.ReadFile(filepath.Join(d.Repo, "api"))
	if err != nil {
		return err
	}
	d.APIAddr = strings.TrimSpace(string(api))
	gw, err := os.ReadFile(filepath.Join(d.Repo, "gateway"))
	if err != nil {
		return err
	}
	d.GatewayAddr = strings.TrimPrefix(strings.TrimSpace(string(gw)), "http://")

	out, err := d.RunErr("id")
	if err != nil {
		return err
	}
	var id struct {
		ID        string
		Addresses []string
	}
	if err := json.Unmarshal([]byte(out), &id); err != nil {
		return fmt.Errorf("parse ipfs id: %w", err)
	}
	d.PeerID = id.ID
	for _, a := range id.Addresses {
		if !strings.Contains(a, "/p2p-circuit") {
			d.SwarmAddrs = append(d.SwarmAddrs, a)
		}
	}
	if d.PeerID == "" || len(d.SwarmAddrs) == 0 {
		return fmt.Errorf("ipfs id reported no peer ID or addresses: %s", out)
	}
	return nil
}

// GatewayURL is the gateway's base URL, e.g. http://127.0.0.1:38159.
func (d *Daemon) GatewayURL() string { return "http://" + d.GatewayAddr }

// Run runs `ipfs args...` against the daemon's repository and returns its
// standard output without surrounding white space, failing t on error.
func (d *Daemon) Run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := d.RunErr(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// RunErr is Run for callers that expect or handle failure; the error carries
// the command's standard error.
func (d *Daemon) RunErr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.Bin, args...)
	cmd.Env = d.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return strings.TrimSpace(stdout.String()), fmt.Errorf("ipfs %s: %w: %s",
			strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

func (d *Daemon) env() []string {
	// IPFS_TELEMETRY wins over config, and also covers commands run before
	// the config is edited (init).
	return goEnv("IPFS_PATH="+d.Repo, "IPFS_TELEMETRY=off")
}

// Stop shuts the daemon down: SIGINT for a clean shutdown, SIGKILL if that
// takes longer than stopTimeout. Tests that simulate a peer going away call
// it early; otherwise cleanup does. Later calls return the first result.
func (d *Daemon) Stop() error {
	d.stopOnce.Do(func() {
		if d.cmd == nil || d.exited == nil {
			return
		}
		select {
		case <-d.exited:
			d.stopErr = fmt.Errorf("daemon had already exited: %v", d.waitErr)
			return
		default:
		}
		if err := d.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
			d.stopErr = err
		}
		select {
		case <-d.exited:
		case <-time.After(stopTimeout):
			d.cmd.Process.Kill()
			<-d.exited
			d.stopErr = fmt.Errorf("daemon ignored SIGINT for %v; killed", stopTimeout)
			return
		}
		if d.waitErr != nil && !interrupted(d.waitErr) {
			d.stopErr = d.waitErr
		}
	})
	return d.stopErr
}

// interrupted reports whether a wait error only says the process ended
// because of our SIGINT.
func interrupted(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGINT
}

// outputWatcher keeps the daemon's recent output for failure reports and
// signals when the ready line appears.
type outputWatcher struct {
	mu        sync.Mutex
	lines     []string
	partial   []byte
	readyText string
	ready     chan struct{}
	seen      bool
}

const maxLines = 500

func newOutputWatcher(readyText string) *outputWatcher {
	return &outputWatcher{readyText: readyText, ready: make(chan struct{})}
}

func (w *outputWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if len(w.lines) == maxLines {
			w.lines = w.lines[1:]
		}
		w.lines = append(w.lines, line)
		if !w.seen && strings.TrimSpace(line) == w.readyText {
			w.seen = true
			close(w.ready)
		}
	}
	return len(p), nil
}

func (w *outputWatcher) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n") + "\n" + string(w.partial)
}
