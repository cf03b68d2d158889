package termsafe

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Big Buck Bunny", "Big Buck Bunny"},
		{"clear screen", "a\x1b[2Jb", "ab"},
		{"colour with parameters", "\x1b[1;31mred\x1b[0m", "red"},
		{"private CSI", "x\x1b[?25ly", "xy"},
		{"window title OSC, BEL-terminated", "\x1b]0;pwned\x07title", "title"},
		{"OSC 8 hyperlink, ST-terminated", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"unterminated OSC swallows the rest", "ok\x1b]0;forever", "ok"},
		{"two-character escape", "a\x1bcb", "ab"},
		{"lone ESC at the end", "a\x1b", "a"},
		{"carriage return overwrites", "harmless\rEVIL", "harmless EVIL"},
		{"newline and tab", "two\nlines\tand tab", "two lines and tab"},
		{"bell, backspace, NUL", "a\x07b\x08c\x00d", "abcd"},
		{"DEL", "a\x7fb", "ab"},
		{"C1 CSI", "a\u009b2Jb", "ab"},
		{"C1 OSC with C1 ST", "a\u009d0;x\u009cb", "ab"},
		{"other C1", "a\u0085b\u008db", "abb"},
		{"right-to-left override", "evil\u202Egnp.exe", "evilgnp.exe"},
		{"isolates and marks", "\u2066a\u2069\u200fb\u061c", "ab"},
		{"line separator", "a\u2028b", "a b"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"non-ASCII kept", "Ünïcödé 日本語 🎬", "Ünïcödé 日本語 🎬"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Line(tc.in); got != tc.want {
				t.Fatalf("Line(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	in := "line one\n\tindented\x1b[2J\r\u202Eend"
	if got, want := Text(in), "line one\n\tindented end"; got != want {
		t.Fatalf("Text(%q) = %q, want %q", in, got, want)
	}
}

// JSON is lossless: the escaped output decodes to the very same string,
// and holds no byte or rune a terminal acts on.
func TestJSON(t *testing.T) {
	title := "a\x1b[2J\rb\x07c\x7fd\u0085e\u202Ef\u2066g"
	enc, err := json.Marshal(map[string]string{"title": title})
	if err != nil {
		t.Fatal(err)
	}
	safe := JSON(enc)
	for _, r := range string(safe) {
		if isControl(r) {
			t.Fatalf("%q still holds control %U", safe, r)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(safe, &back); err != nil {
		t.Fatalf("%s: %v", safe, err)
	}
	if back["title"] != title {
		t.Fatalf("decoded %q, want %q", back["title"], title)
	}
	if !strings.Contains(string(safe), `\u202e`) {
		t.Fatalf("%s: the override is not escaped", safe)
	}
}
