package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
	ipld "github.com/ipfs/go-ipld-format"
	logging "github.com/ipfs/go-log/v2"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/spf13/cobra"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/app/internal/termsafe"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/library/publish"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitFailure  = 1 // anything else
	exitUsage    = 2 // bad arguments: flags, CID syntax, a directory or unreadable file to add
	exitNotFound = 3 // content not found within --timeout
	exitRepo     = 4 // repo unavailable: held by another process, from a newer version, or not a repo
)

// usageError marks errors in what the user typed.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func exitCode(err error) int {
	var re *remoteError
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &re):
		return re.code
	case errors.As(err, &ue), errors.Is(err, link.ErrNotLink), errors.Is(err, node.ErrNotFile):
		return exitUsage
	case errors.Is(err, context.DeadlineExceeded), ipld.IsNotFound(err):
		return exitNotFound
	case errors.Is(err, node.ErrRepoLocked), errors.Is(err, node.ErrRepoTooNew), errors.Is(err, node.ErrNotRepo):
		return exitRepo
	}
	return exitFailure
}

// globalFlags are accepted before or after the command name.
type globalFlags struct {
	repo      string
	bootstrap string
	peers     []string
	gateways  string
	// gatewaysGiven: --gateways was on the command line, even empty
	// (which turns the fallback off).
	gatewaysGiven bool
	isolated      bool
	timeout       time.Duration
	verbose       bool
	// uploadLimit caps what the node serves to peers, in bytes/s; 0 is
	// no cap (daemon --upload-limit, or the app's Settings).
	uploadLimit int64
	// quota is the storage quota (daemon --quota, else Settings' quota,
	// else library.DefaultQuota); 0 caches nothing.
	quota int64
	// private is Settings' private mode: no gateway fallback, no
	// announcements, no auto-seeding.
	private bool
	// autoSeed turns the auto-seeding engine's seeding on (daemon --auto-seed).
	autoSeed bool
	// downloadLimit caps what seeding fetches, in bytes/s; 0 is no cap
	// (daemon --download-limit; in the window library.Seeding applies
	// Settings').
	downloadLimit int64
	// seedHours is when the daemon seeds (--seed-hours); the zero value
	// is always.
	seedHours library.SeedHours
}

// defaultGateways are public trustless gateways for the fallback, the same
// list Settings starts with.
var defaultGateways = settings.DefaultGateways()

// defaultRepo is the repo in the OS's user data directory, or
// $IPFS_TUBE_REPO.
func defaultRepo() string {
	if r := os.Getenv("IPFS_TUBE_REPO"); r != "" {
		return r
	}
	var base string
	switch runtime.GOOS {
	case "windows":
		base = os.Getenv("LOCALAPPDATA")
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil {
			base = filepath.Join(home, "Library", "Application Support")
		}
	default:
		base = os.Getenv("XDG_DATA_HOME")
		if base == "" {
			if home, err := os.UserHomeDir(); err == nil {
				base = filepath.Join(home, ".local", "share")
			}
		}
	}
	if base == "" {
		base = os.TempDir()
	}
	return filepath.Join(base, "ipfs-tube", "repo")
}

// nodeConfig turns the flags into a node configuration.
func (g *globalFlags) nodeConfig() (node.Config, error) {
	cfg := node.Config{Repo: g.repo, Isolated: g.isolated}
	switch b := strings.TrimSpace(g.bootstrap); {
	case b == "none":
	case b == "":
		if !g.isolated {
			cfg.Bootstrap = dht.GetDefaultBootstrapPeerAddrInfos()
		}
	default:
		peers, err := parsePeers(strings.Split(b, ","))
		if err != nil {
			return cfg, usagef("--bootstrap: %w", err)
		}
		cfg.Bootstrap = peers
	}
	peers, err := parsePeers(g.peers)
	if err != nil {
		return cfg, usagef("--peer: %w", err)
	}
	cfg.Peers = peers
	cfg.UploadLimit = g.uploadLimit
	cfg.DownloadLimit = g.downloadLimit
	cfg.Private = g.private
	switch {
	case !g.gatewaysGiven:
		if !g.isolated {
			cfg.Gateways = defaultGateways
		}
	default:
		for _, u := range strings.Split(g.gateways, ",") {
			if u = strings.TrimSpace(u); u != "" {
				if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
					return cfg, usagef("--gateways: %q is not an http(s) URL", u)
				}
				cfg.Gateways = append(cfg.Gateways, u)
			}
		}
	}
	return cfg, nil
}

func parsePeers(addrs []string) ([]peer.AddrInfo, error) {
	var mas []ma.Multiaddr
	for _, s := range addrs {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		if _, err := a.ValueForProtocol(ma.P_P2P); err != nil {
			return nil, fmt.Errorf("%q has no /p2p/PEERID part", s)
		}
		mas = append(mas, a)
	}
	return peer.AddrInfosFromP2pAddrs(mas...)
}

// cli holds what every command shares.
type cli struct {
	g      globalFlags
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	// settings is the user's settings file; saved what it held when the
	// command started (nil when it could not be read).
	settings *settings.Store
	saved    *settings.Settings
	hooks    seedingHooks
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	root := c.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err != nil {
		var rep reported
		// Errors may quote the network (a gateway's answer, a name in a
		// peer's directory): printed through termsafe.
		switch {
		case errors.As(err, &rep):
		case errors.Is(err, context.DeadlineExceeded) && c.g.timeout > 0:
			fmt.Fprintf(stderr, "Error: not found within --timeout %s: %s\n", c.g.timeout, termsafe.Text(err.Error()))
		case errors.Is(err, node.ErrRepoLocked):
			fmt.Fprintf(stderr, "Error: %s (another ipfs-tube holds the repo; stop it or wait)\n", termsafe.Text(err.Error()))
		default:
			fmt.Fprintln(stderr, "Error:", termsafe.Text(err.Error()))
		}
		code := exitCode(err)
		if code == exitFailure && isCobraUsage(err) {
			code = exitUsage
		}
		return code
	}
	return exitOK
}

// isCobraUsage recognises cobra's own errors about flags and arguments.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "unknown command", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires exactly"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "ipfs-tube [CID or link]",
		Short: "IPFS-Tube: watch, publish and seed video over IPFS",
		Long: "IPFS-Tube is a desktop video player and seeding app with an embedded IPFS node.\n" +
			"With no command it opens the app; with a CID or ipfs:// link it opens that video.",
		Args:          cobra.MaximumNArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       node.Version,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			c.g.gatewaysGiven = cmd.Flags().Changed("gateways")
			c.setupLogging(cmd.Name() == "daemon")
			// Read once: the quota and private mode apply to every
			// command, the rest to the app.
			c.settings = settings.NewStore(settings.DefaultDir())
			c.g.quota = library.DefaultQuota
			if st, err := c.settings.Load(); err != nil {
				c.log.Warn("settings", "err", err)
			} else {
				c.saved = &st
				c.g.quota, c.g.private = st.Quota, st.PrivateMode
			}
			return nil
		},
		RunE: c.runApp,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&c.g.repo, "repo", defaultRepo(), "repo directory (created on first use; env IPFS_TUBE_REPO)")
	pf.StringVar(&c.g.bootstrap, "bootstrap", "", "DHT bootstrap peers: none, or comma-separated multiaddrs (default: public IPFS bootstrap peers)")
	pf.StringArrayVar(&c.g.peers, "peer", nil, "peer multiaddr to stay connected to (repeatable)")
	pf.StringVar(&c.g.gateways, "gateways", strings.Join(defaultGateways, ","), "HTTP gateways for fallback, comma-separated; empty turns fallback off")
	pf.BoolVar(&c.g.isolated, "isolated", false, "stay on loopback: no default bootstrap peers or gateways, no mDNS, no port mapping")
	pf.Var(timeoutFlag{&c.g.timeout}, "timeout", "give up after this long (e.g. 30s; 0 waits forever)")
	pf.BoolVarP(&c.g.verbose, "verbose", "v", false, "log more")

	root.AddCommand(c.addCommand(), c.catCommand(), c.getCommand(), c.pinCommand(), c.gcCommand(),
		c.idCommand(), c.daemonCommand(), c.playCommand(), c.gatewaysCommand(), c.seedingCommand(), c.versionCommand(),
		c.registerCommand(), c.unregisterCommand())
	root.AddCommand(c.repoCommand())
	root.SetVersionTemplate(versionText())
	strictCommands(root)
	return root
}

// setupLogging logs warnings and errors, and with -v everything. A
// daemon logs at info level too: its log is all a user sees of it, and
// the auto-seeding engine's line per round says there what it decided.
func (c *cli) setupLogging(daemon bool) {
	level := slog.LevelWarn
	if daemon {
		level = slog.LevelInfo
	}
	if c.g.verbose {
		level = slog.LevelDebug
	}
	c.log = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(c.log)
	// boxo and libp2p log through go-log; keep them to errors, and drop
	// the reprovider's complaints about an empty routing table (normal on
	// an isolated or freshly started node; `id` shows the peers).
	golog := "error"
	if c.g.verbose {
		golog = "info"
	}
	logging.SetAllLoggers(mustLevel(golog))
	if !c.g.verbose {
		logging.SetLogLevel("provider", "fatal")
	}
}

func mustLevel(s string) logging.LogLevel {
	l, err := logging.LevelFromString(s)
	if err != nil {
		return logging.LevelError
	}
	return l
}

// context returns the command's context: cancelled by SIGINT/SIGTERM and
// bounded by --timeout.
func (c *cli) context() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if c.g.timeout <= 0 {
		return ctx, stop
	}
	tctx, cancel := context.WithTimeout(ctx, c.g.timeout)
	return tctx, func() { cancel(); stop() }
}

// openBackend gets a backend for the repo: the node itself when no other
// process holds the repo, else the holder's control API. It never takes
// the lock from another process: while the holder starts (no API yet) or
// runs a one-shot command, it waits, up to --timeout or 30 s.
func (c *cli) openBackend(ctx context.Context, online bool) (backend, error) {
	cfg, err := c.g.nodeConfig()
	if err != nil {
		return nil, err
	}
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := node.New(ctx, cfg, node.WithLogger(c.log))
		if err == nil {
			if !online {
				return &localBackend{n: n, quota: c.g.quota}, nil
			}
			if err := n.Start(ctx); err != nil {
				n.Close()
				return nil, err
			}
			return &localBackend{n: n, quota: c.g.quota}, nil
		}
		if !errors.Is(err, node.ErrRepoLocked) {
			return nil, err
		}
		cl, cerr := readControl(cfg.Repo)
		if errors.Is(cerr, errUnsafeToken) {
			return nil, fmt.Errorf("%w: %w", node.ErrRepoLocked, cerr)
		}
		if cerr == nil {
			// A holder that cannot prove itself (a stale api.json) counts
			// as none: the lock frees once the process holding it ends.
			if cerr = cl.ping(ctx); cerr == nil {
				return cl, nil
			}
			cl.Close()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("repo %s is in use by another process: %w", cfg.Repo, node.ErrRepoLocked)
		case <-deadline.C:
			return nil, fmt.Errorf("repo %s is in use by another process that does not share it (is another ipfs-tube command running?): %w", cfg.Repo, node.ErrRepoLocked)
		case <-tick.C:
		}
	}
}

func (c *cli) addCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "add FILE...",
		Short: "Import files (or - for stdin) and print one CID per line; videos are also published as your uploads",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Check every file before touching the repo, so a typo costs
			// nothing and is reported at once.
			for _, p := range args {
				if err := checkAddable(p); err != nil {
					return err
				}
			}
			return c.withBackend(false, func(ctx context.Context, b backend) error {
				var firstErr error
				for _, p := range args {
					res, err := c.addOne(ctx, b, p)
					if err != nil {
						fmt.Fprintf(c.stderr, "Error: add %s: %v\n", p, err)
						if firstErr == nil {
							firstErr = fmt.Errorf("add %s: %w", p, err)
						}
						if ctx.Err() != nil {
							break
						}
						continue
					}
					if res.Dir.Defined() {
						fmt.Fprintf(c.stderr, "%s: published as your upload %q: %s\n", p, safeLine(res.Title), publish.LinksFor(res.Dir).IPFS)
					}
					fmt.Fprintln(c.stdout, res.Cid)
				}
				if firstErr != nil {
					return reported{firstErr}
				}
				return nil
			})
		},
	}
}

// reported wraps an error already printed, so run prints no second line.
type reported struct{ error }

func (r reported) Unwrap() error { return r.error }

func checkAddable(p string) error {
	if p == "-" {
		return nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return usagef("add %s: %w", p, err)
	}
	if fi.IsDir() {
		return usagef("add %s: is a directory; add takes files", p)
	}
	if !fi.Mode().IsRegular() {
		return usagef("add %s: not a regular file", p)
	}
	f, err := os.Open(p)
	if err != nil {
		return usagef("add %s: %w", p, err)
	}
	return f.Close()
}

func (c *cli) addOne(ctx context.Context, b backend, p string) (addResult, error) {
	src := addSource{r: c.stdin, size: -1}
	name := "stdin"
	if p != "-" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return addResult{}, usageError{err}
		}
		src = addSource{path: abs, size: -1}
		if fi, err := os.Stat(abs); err == nil {
			src.size = fi.Size()
		}
		name = filepath.Base(p)
	}
	pp := newProgressPrinter(name, c.stderr)
	defer pp.finish()
	return b.Add(ctx, src, pp.update)
}

func (c *cli) catCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cat CID",
		Short: "Write a file's bytes to stdout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := link.Parse(args[0])
			if err != nil {
				return err
			}
			return c.withBackend(true, func(ctx context.Context, b backend) error {
				return c.copyOut(ctx, b, t, c.stdout)
			})
		},
	}
}

// onlyWriter hides a writer's ReadFrom so CopyBuffer uses our buffer.
type onlyWriter struct{ io.Writer }

// copyOut streams t into w and checks the length, so a transfer cut short
// is an error, not a silently short file.
func (c *cli) copyOut(ctx context.Context, b backend, t link.Target, w io.Writer) error {
	rc, size, err := b.Cat(ctx, t)
	if err != nil {
		return err
	}
	defer rc.Close()
	// Block-sized copies: a local File writes whole blocks itself; for the
	// control API's body our 1 MiB buffer replaces os.File's 32 KiB one.
	n, err := io.CopyBuffer(onlyWriter{w}, rc, make([]byte, 1<<20))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("fetch %s: %w", t, ctx.Err())
		}
		return fmt.Errorf("fetch %s: %w", t, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("fetch %s: got %d of %d bytes", t, n, size)
	}
	return nil
}

func (c *cli) getCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "get CID -o PATH",
		Short: "Save a file to PATH (written whole or not at all)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := link.Parse(args[0])
			if err != nil {
				return err
			}
			if out == "" {
				out = t.Cid.String()
				if t.IPNS != "" {
					out = t.IPNS
				}
			}
			if err := checkGetTarget(out); err != nil {
				return err
			}
			return c.withBackend(true, func(ctx context.Context, b backend) error {
				dir := filepath.Dir(out)
				tmp, err := os.CreateTemp(dir, "."+filepath.Base(out)+".part-")
				if err != nil {
					return usagef("get: %w", err)
				}
				defer os.Remove(tmp.Name())
				if err := c.copyOut(ctx, b, t, tmp); err != nil {
					tmp.Close()
					return err
				}
				if err := tmp.Close(); err != nil {
					return fmt.Errorf("get: %w", err)
				}
				// Again: PATH may have changed during the download.
				if err := checkGetTarget(out); err != nil {
					return err
				}
				if err := os.Rename(tmp.Name(), out); err != nil {
					return fmt.Errorf("get: %w", err)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the file (default: the CID, in the current directory)")
	return cmd
}

func (c *cli) pinCommand() *cobra.Command {
	pin := &cobra.Command{Use: "pin", Short: "Keep files in the repo (pinned files survive gc)"}
	for _, op := range []string{"add", "rm"} {
		pin.AddCommand(&cobra.Command{
			Use:   op + " CID...",
			Short: map[string]string{"add": "Fetch and pin files", "rm": "Unpin files"}[op],
			Args:  cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var targets []link.Target
				for _, a := range args {
					t, err := link.Parse(a)
					if err != nil {
						return err
					}
					targets = append(targets, t)
				}
				ctx, cancel := c.context()
				defer cancel()
				b, err := c.openBackend(ctx, op == "add")
				if err != nil {
					return err
				}
				defer b.Close()
				for _, t := range targets {
					f := b.PinAdd
					if op == "rm" {
						f = b.PinRm
					}
					id, err := f(ctx, t)
					if err != nil {
						return err
					}
					fmt.Fprintln(c.stdout, id)
				}
				return nil
			},
		})
	}
	pin.AddCommand(&cobra.Command{
		Use:   "ls",
		Short: "List pins: CID and mode, one per line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackend(false, func(ctx context.Context, b backend) error {
				pins, err := b.PinLs(ctx)
				if err != nil {
					return err
				}
				for _, p := range pins {
					fmt.Fprintf(c.stdout, "%s %s\n", p.Cid, safeLine(p.Mode))
				}
				return nil
			})
		},
	})
	return pin
}

func (c *cli) gcCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "gc",
		Short: "Delete blocks no pin holds and give their disk space back",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackend(false, func(ctx context.Context, b backend) error {
				res, err := b.GC(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "removed %d blocks (%s)\n", res.BlocksRemoved, humanize.IBytes(uint64(res.BytesRemoved)))
				return nil
			})
		},
	}
}

func (c *cli) idCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "id",
		Short: "Print the peer ID, then one address per line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackend(false, func(ctx context.Context, b backend) error {
				info, err := b.ID(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(c.stdout, info)
				}
				fmt.Fprintln(c.stdout, safeLine(info.ID))
				for _, a := range info.Addrs {
					fmt.Fprintln(c.stdout, safeLine(a))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print peer ID, addresses, reachability and peer count as JSON")
	return cmd
}

func (c *cli) daemonCommand() *cobra.Command {
	var uploadLimit, downloadLimit, quota, seedHours string
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run the node headless until SIGINT or SIGTERM",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if uploadLimit != "" {
				n, err := parseRate(uploadLimit)
				if err != nil {
					return usagef("--upload-limit: %w", err)
				}
				c.g.uploadLimit = n
			}
			if downloadLimit != "" {
				n, err := parseRate(downloadLimit)
				if err != nil {
					return usagef("--download-limit: %w", err)
				}
				c.g.downloadLimit = n
			}
			hours, err := library.ParseSeedHours(seedHours)
			if err != nil {
				return usagef("--seed-hours: %w", err)
			}
			c.g.seedHours = hours
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if quota != "" {
				n, err := parseSize(quota)
				if err != nil {
					return usagef("--quota: %w", err)
				}
				c.g.quota = n
			}
			n, ctl, stopKeeping, err := c.startServing(ctx)
			if err != nil {
				return err
			}
			for _, a := range n.Addrs() {
				fmt.Fprintf(c.stdout, "listening on %s\n", a)
			}
			return c.serveUntilStopped(ctx, stop, n, func() error { return errors.Join(ctl.Close(), stopKeeping(), n.Close()) })
		},
	}
	cmd.Flags().BoolVar(&c.g.autoSeed, "auto-seed", false, "fetch, pin and provide the most wanted under-replicated videos within the quota")
	cmd.Flags().StringVar(&quota, "quota", "", "storage quota, e.g. 50GB (default: the app's setting, else 10 GiB); own uploads and pins count first: an upload or add evicts cached videos to make room, and is refused when own uploads and pins alone would pass the quota")
	cmd.Flags().StringVar(&uploadLimit, "upload-limit", "", "cap what the node serves to peers, e.g. 10Mbit or 2MB/s (default: no cap); own downloads are never capped")
	cmd.Flags().StringVar(&downloadLimit, "download-limit", "", "cap what auto-seeding fetches, e.g. 20Mbit or 2MB/s (default: no cap); own playback and commands are never capped")
	cmd.Flags().StringVar(&seedHours, "seed-hours", "", "seed only within these local hours each day, e.g. 23:00-07:00 (default: always); outside them uploads stop and auto-seeding pauses")
	return cmd
}

// startServing opens the repo (failing at once if another process holds
// it), starts the node, the quota keeper and the control API. stopKeeping
// stops the keeper and closes the catalog.
func (c *cli) startServing(ctx context.Context) (n *node.Node, ctl *controlServer, stopKeeping func() error, err error) {
	n, err = c.holdRepo(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := n.Start(ctx); err != nil {
		n.Close()
		return nil, nil, nil, err
	}
	b := &localBackend{n: n, quota: c.g.quota}
	stopKeeping, err = c.keepRepo(ctx, b)
	if err != nil {
		n.Close()
		return nil, nil, nil, err
	}
	ctl, err = serveControl(n.RepoDir(), b, c.log, nil)
	if err != nil {
		return nil, nil, nil, errors.Join(err, stopKeeping(), n.Close())
	}
	return n, ctl, stopKeeping, nil
}

// holdRepo opens the repo for a long-running holder (daemon or app),
// failing at once when another process holds it, and withdraws any API
// address a killed holder left behind.
func (c *cli) holdRepo(ctx context.Context) (*node.Node, error) {
	cfg, err := c.g.nodeConfig()
	if err != nil {
		return nil, err
	}
	n, err := node.New(ctx, cfg, node.WithLogger(c.log))
	if err != nil {
		return nil, err
	}
	removeStaleAPIFile(cfg.Repo)
	return n, nil
}

func (c *cli) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprint(c.stdout, versionText())
		},
	}
}

// runApp is what runs with no command: the desktop app.
func (c *cli) runApp(cmd *cobra.Command, args []string) error {
	open := ""
	if len(args) == 1 {
		open = args[0]
		// A file or folder is uploaded, anything else must be a link.
		if _, statErr := os.Stat(open); statErr != nil {
			if _, err := link.Parse(open); err != nil {
				return err
			}
		} else if abs, err := filepath.Abs(open); err == nil {
			open = abs
		}
	}
	// The repo location chosen in Settings applies when neither --repo nor
	// IPFS_TUBE_REPO names one.
	if st := c.saved; st != nil {
		if !cmd.Flags().Changed("repo") && os.Getenv("IPFS_TUBE_REPO") == "" && st.RepoDir != "" {
			c.g.repo = st.RepoDir
		}
		// The gateways chosen in Settings, unless the command line says
		// otherwise (--gateways, or --isolated, which starts with none).
		if !c.g.gatewaysGiven && !c.g.isolated {
			c.g.gateways, c.g.gatewaysGiven = strings.Join(st.Gateways, ","), true
			if st.PrivateMode {
				// Gateways would see this address and what it watches.
				c.g.gateways = ""
			}
		}
		c.g.autoSeed = st.AutoSeed
	}
	return c.openApp(open)
}

func reachabilityWords(r network.Reachability) string {
	switch r {
	case network.ReachabilityPublic:
		return "public"
	case network.ReachabilityPrivate:
		return "behind NAT"
	}
	return "unknown"
}

// withBackend runs fn with the command's context and a backend for the
// repo (online: the node may fetch from peers), closing it afterwards.
func (c *cli) withBackend(online bool, fn func(ctx context.Context, b backend) error) error {
	ctx, cancel := c.context()
	defer cancel()
	b, err := c.openBackend(ctx, online)
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(ctx, b)
}
