package publish

import (
	"strings"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

func TestTitleFromName(t *testing.T) {
	for name, want := range map[string]string{
		"talk.mp4":                        "talk",
		"My_Holiday_2024.mkv":             "My Holiday 2024",
		"Big.Buck.Bunny.1080p.mp4":        "Big Buck Bunny 1080p",
		"release v1.2 demo.webm":          "release v1.2 demo",
		"  spaced   out  .mov":            "spaced out",
		".mp4":                            ".mp4",
		"no extension":                    "no extension",
		"caf\xe9.mp4":                     "caf",
		"Ünïcödé_film.mp4":                "Ünïcödé film",
		strings.Repeat("é", 600) + ".mp4": strings.Repeat("é", library.MaxTitleBytes/2),
	} {
		if got := titleFromName(name); got != want {
			t.Errorf("titleFromName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestEntryName(t *testing.T) {
	long := strings.Repeat("ü", 200) + ".mp4"
	if got := entryName(long); len(got) > 255 || !strings.HasSuffix(got, ".mp4") {
		t.Errorf("entryName(long) = %q (%d bytes)", got, len(got))
	}
	if got := entryName("poster.jpg"); got != "video-poster.jpg" {
		t.Errorf("entryName(poster.jpg) = %q", got)
	}
	if got := entryName("clip.mp4"); got != "clip.mp4" {
		t.Errorf("entryName(clip.mp4) = %q", got)
	}
}

func TestRateMeter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	m := newRateMeter(t0)
	if m.rate() != 0 {
		t.Error("rate before any sample")
	}
	// 10 MiB/s for 5 s, then 1 MiB/s for 5 s: the window follows the drop.
	var done int64
	for i := 1; i <= 50; i++ {
		done += 1 << 20
		m.add(t0.Add(time.Duration(i)*100*time.Millisecond), done)
	}
	if r := m.rate(); r < 9.9*(1<<20) || r > 10.1*(1<<20) {
		t.Errorf("rate %.0f, want 10 MiB/s", r)
	}
	for i := 1; i <= 50; i++ {
		done += 1 << 20 / 10
		m.add(t0.Add(5*time.Second+time.Duration(i)*100*time.Millisecond), done)
	}
	if r := m.rate(); r < 0.9*(1<<20) || r > 1.5*(1<<20) {
		t.Errorf("rate %.0f after slowing, want about 1 MiB/s", r)
	}
	if len(m.samples) > 40 {
		t.Errorf("%d samples kept", len(m.samples))
	}
}

// The names a video may not take are the node's own.
func TestDirectoryNamesMatchTheNode(t *testing.T) {
	if posterFile != node.PosterFile || metadataFile != node.MetadataFile {
		t.Errorf("posterFile, metadataFile = %q, %q; the node writes %q, %q", posterFile, metadataFile, node.PosterFile, node.MetadataFile)
	}
}
