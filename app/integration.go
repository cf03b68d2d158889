package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/app/internal/urlhandler"
)

// integrateWithOS runs as the window opens: on Windows the first run makes
// this program the handler of ipfs:// and ipns:// links (where no other
// program is), and later runs follow the program when it moved (see
// urlhandler). Elsewhere the package did that at install. A failure is
// logged, not fatal: links not opening is no reason to refuse to start.
func (c *cli) integrateWithOS() {
	exe, err := os.Executable()
	if err != nil {
		c.log.Warn("link handlers", "err", err)
		return
	}
	schemes, err := urlhandler.OnStart(exe)
	if err != nil {
		c.log.Warn("link handlers", "err", err)
		return
	}
	if len(schemes) > 0 {
		c.log.Info("registered link handlers", "schemes", schemes, "exe", exe)
	}
}

func (c *cli) registerCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "register",
		Short: "Make this program open ipfs:// and ipns:// links for the current user (Windows)",
		Long: "On Windows, point ipfs:// and ipns:// links at this program for the current user,\n" +
			"taking them over from any other program (the first start only takes free ones).\n" +
			"On Linux the package's desktop file does this, on macOS the app bundle.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("register: %w", err)
			}
			err = urlhandler.Register(exe)
			if errors.Is(err, urlhandler.ErrUnsupported) {
				return usagef("register: nothing to do here: on Linux the installed desktop file (io.github.ipfs_tube.IPFSTube.desktop) makes IPFS-Tube the handler of ipfs:// links, on macOS the app bundle does")
			}
			if err != nil {
				return fmt.Errorf("register: %w", err)
			}
			fmt.Fprintf(c.stdout, "ipfs:// and ipns:// links now open %s\n", exe)
			return nil
		},
	}
}

// unregisterCommand is the reset of what the app registered with the OS:
// the step before deleting the program.
func (c *cli) unregisterCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unregister",
		Short: "Undo what the app registered with the OS: link handlers (Windows) and start at login",
		Long: "Remove what IPFS-Tube registered for the current user: on Windows the ipfs:// and ipns://\n" +
			"link handlers (where they still run ipfs-tube.exe) and its Default-apps entry; on every OS\n" +
			"the start-at-login entry. Run it before deleting the program. The repo and the settings\n" +
			"stay; the next start of the app counts as a first run again.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := urlhandler.Unregister(); err != nil {
				return fmt.Errorf("unregister: %w", err)
			}
			if err := settings.SetStartAtLogin(false, ""); err != nil {
				return fmt.Errorf("unregister: %w", err)
			}
			// Settings shows the switch off from now on.
			if _, err := c.settings.Update(func(s *settings.Settings) error {
				s.StartAtLogin = false
				return nil
			}); err != nil {
				return fmt.Errorf("unregister: %w", err)
			}
			fmt.Fprintln(c.stdout, "removed the link handlers and the start-at-login entry")
			return nil
		},
	}
}
