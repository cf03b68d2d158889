package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
)

// A mistyped command must not pass for success: scripts check the exit
// code. Cobra prints help and exits 0 for an unknown word after a group
// command (`pin frob`), and the program's own one argument (a link or a
// file to open) would swallow an unknown word at the top level. So, as
// Kubo does, every unknown command is a usage error (exit 2).

// strictCommands makes every unknown command an error: at the top level
// through rootArgs, below it on each group command (one with
// sub-commands and no action of its own), which then prints its help
// only when given no argument.
func strictCommands(root *cobra.Command) {
	root.Args = rootArgs
	// Cobra adds its completion group only when it executes: add it now,
	// so the walk below covers it too.
	root.InitDefaultCompletionCmd()
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			if sub.HasSubCommands() && !sub.Runnable() {
				sub.Args = cobra.ArbitraryArgs
				sub.RunE = rejectUnknownSubcommand
			}
			walk(sub)
		}
	}
	walk(root)
}

// rootArgs accepts what the program opens with no command: nothing, one
// existing file or folder (uploaded), or one CID or link (played). Any
// other word is a command that does not exist, or a broken link.
func rootArgs(cmd *cobra.Command, args []string) error {
	switch len(args) {
	case 0:
		return nil
	case 1:
		arg := args[0]
		if _, err := os.Stat(arg); err == nil {
			return nil
		}
		_, err := link.Parse(arg)
		if err == nil {
			return nil
		}
		return usagef("unknown command or link %q for %q%s (see %s --help): %w",
			arg, cmd.CommandPath(), suggestions(cmd, arg), cmd.CommandPath(), err)
	}
	return usagef("unknown command %q for %q%s", args[0], cmd.CommandPath(), suggestions(cmd, args[0]))
}

// rejectUnknownSubcommand is a group command's action: help when called
// alone (exit 0, as before), a usage error for any other word.
func rejectUnknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	return usagef("unknown command %q for %q%s", args[0], cmd.CommandPath(), suggestions(cmd, args[0]))
}

// suggestions is cobra's "did you mean" for a mistyped command, or "".
func suggestions(cmd *cobra.Command, typed string) string {
	s := cmd.SuggestionsFor(typed)
	if len(s) == 0 {
		return ""
	}
	return "; did you mean " + strings.Join(s, " or ") + "?"
}

// timeoutFlag is --timeout: a duration that is zero (wait forever, the
// default) or positive. A negative one used to mean forever too, which
// nobody typing -5s asks for; the flag parser now refuses it (exit 2).
type timeoutFlag struct{ d *time.Duration }

// String says "0" for no timeout, which help then leaves out as the
// zero value, as it did for the plain duration flag.
func (f timeoutFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return "0"
	}
	return f.d.String()
}

func (f timeoutFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as 30s or 2m")
	}
	if d < 0 {
		return fmt.Errorf("negative; give a positive duration, or 0 to wait forever")
	}
	*f.d = d
	return nil
}

func (timeoutFlag) Type() string { return "duration" }
