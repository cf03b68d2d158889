// Package cleanlocale keeps Fyne quiet about the "C.UTF-8" locale, the
// default of Debian and Ubuntu containers and servers. Fyne reads the
// user's language when its lang package initialises and, through
// github.com/jeandeaual/go-locale, takes "C.UTF-8" for a language named
// "C", which it cannot parse: every command, `--help` included, then began
// with three lines of "Fyne error: Error parsing user locale C".
//
// C and POSIX mean "no translation", so when the messages locale is one of
// them with a codeset (C.UTF-8, POSIX.UTF-8) and LC_ALL is not set, this
// package sets LC_MESSAGES=C: the same meaning for every program, and the
// spelling go-locale understands. LC_ALL is left alone (changing it would
// change character handling for child processes too).
//
// It must initialise before fyne.io/fyne/v2/lang. Go initialises packages
// in import-path order among those whose dependencies are ready; this
// package needs only the standard library and its path sorts before
// github.com/jeandeaual/go-locale, which Fyne's lang package waits for. The
// main package imports it for its side effect; TestNoLocaleNoise in
// package main checks the order holds.
package cleanlocale

import (
	"os"
	"strings"
)

func init() { Apply(os.Getenv, os.Setenv) }

// Apply sets LC_MESSAGES=C when the messages locale is C or POSIX with a
// codeset and LC_ALL is empty.
func Apply(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LC_ALL") != "" {
		return
	}
	loc := getenv("LC_MESSAGES")
	if loc == "" {
		loc = getenv("LANG")
	}
	name, _, hasCodeset := strings.Cut(loc, ".")
	if hasCodeset && (name == "C" || name == "POSIX") {
		setenv("LC_MESSAGES", "C")
	}
}
