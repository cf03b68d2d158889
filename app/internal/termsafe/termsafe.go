// Package termsafe makes text that came from the network safe to print on
// a terminal. A video title in a peer's video.json, a name a daemon
// reports or a gateway's error message is hostile: escape sequences in it
// could clear the screen, rewrite earlier lines (a carriage return),
// retitle the window, ring the bell, or, with Unicode bidi overrides,
// show text in another order than it is (the "Trojan Source" trick).
//
// What is removed: C0 controls (U+0000–U+001F), DEL, C1 controls
// (U+0080–U+009F), whole escape sequences (CSI "ESC [ … final", the
// string commands OSC, DCS, SOS, PM and APC up to their terminator, and
// two-character "ESC x"), and every Unicode Bidi_Control character
// (embeddings, overrides, isolates and the LRM/RLM/ALM marks). Invalid
// UTF-8 becomes U+FFFD. Line keeps one line: tab, newline, carriage
// return, vertical tab, form feed and the Unicode line and paragraph
// separators become a space, so a table's columns and rows stay where
// they are. Text keeps newlines and tabs, for multi-line messages.
//
// JSON output needs none of that removed: JSON escapes C0 controls, and
// JSON rewrites DEL, C1 and bidi controls as \uXXXX escapes, which decode
// to the same string, so machines get the data exactly and a terminal
// shows nothing active.
package termsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	esc = 0x1b
	bel = 0x07
)

// Line returns s fit for one line of terminal output (a table cell, a
// title): controls and escape sequences removed, line breaks and tabs
// turned into spaces.
func Line(s string) string { return clean(s, false) }

// Text returns s fit for terminal output over several lines: like Line,
// but newlines and tabs stay (a carriage return still goes: it would let
// the text overwrite what precedes it on its line).
func Text(s string) string { return clean(s, true) }

func clean(s string, multiLine bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == esc:
			i += escapeLen(s[i:])
			continue
		case r == 0x9b: // C1 CSI: the one-rune form of ESC [
			i += size + csiLen(s[i+size:])
			continue
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // C1 DCS, SOS, OSC, PM, APC
			i += size + stringCommandLen(s[i+size:])
			continue
		case r == '\n' || r == '\t':
			if multiLine {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case r == '\r' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case isControl(r):
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII and needs no work: the
// usual case, kept free of allocations.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isControl: C0, DEL, C1 and the bidi controls.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.Is(unicode.Bidi_Control, r)
}

// escapeLen is the length of the escape sequence s starts with (s[0] is
// ESC), the whole of s when it is cut short.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch c := s[1]; {
	case c == '[':
		return 2 + csiLen(s[2:])
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return 2 + stringCommandLen(s[2:])
	case c >= 0x20 && c <= 0x7e:
		return 2 // ESC 7, ESC c (reset), ESC ( B, …: the intermediate-free forms
	default:
		return 1 // a lone ESC before a control or non-ASCII: drop just the ESC
	}
}

// csiLen is the length of a control sequence's parameters, intermediates
// and final byte (after "ESC [" or C1 CSI). Anything else ends it early:
// the sequence is malformed and what follows is text.
func csiLen(s string) int {
	i := 0
	for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3f { // parameters
		i++
	}
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f { // intermediates
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e { // final
		i++
	}
	return i
}

// stringCommandLen is the length of an OSC/DCS/SOS/PM/APC body with its
// terminator: BEL, ESC \ or C1 ST. Unterminated, it runs to the end, as
// a terminal would swallow it.
func stringCommandLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == bel:
			return i + 1
		case s[i] == esc && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case s[i] == 0xc2 && i+1 < len(s) && s[i+1] == 0x9c: // U+009C ST
			return i + 2
		}
	}
	return len(s)
}

// JSON rewrites encoded JSON so that it carries no rune a terminal acts
// on: DEL, C1 controls and bidi controls, which JSON allows raw in
// strings, become \uXXXX escapes (they can only occur inside strings, and
// the escape decodes to the same rune). encoding/json already escapes C0
// controls and U+2028/U+2029.
func JSON(b []byte) []byte {
	if isPlainBytes(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError && r >= 0x7f && isControl(r) {
			out = append(out, `\u`...)
			out = append(out, hex4(r)...)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

func isPlainBytes(b []byte) bool {
	for _, c := range b {
		if c >= 0x7f {
			return false
		}
	}
	return true
}

func hex4(r rune) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf]})
}
