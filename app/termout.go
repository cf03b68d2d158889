package main

import (
	"encoding/json"
	"io"

	"github.com/ipfs-tube/ipfs-tube/app/internal/termsafe"
)

// Text that reached this process from the network (titles from a peer's
// video.json, whatever a daemon answers over the control API, a
// gateway's error message) goes to the terminal through termsafe: tables
// print it with safeLine, errors with termsafe.Text, and --json output
// through printJSON, which keeps the data exact.

// safeLine is s fit for one line or table cell of terminal output.
func safeLine(s string) string { return termsafe.Line(s) }

// printJSON prints v as indented JSON, as json.Encoder with SetIndent
// would, with every control a terminal acts on escaped (lossless: see
// termsafe.JSON).
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(termsafe.JSON(b), '\n'))
	return err
}
