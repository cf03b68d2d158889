package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dustin/go-humanize"
)

// progressReader reports how much of a file has been read, on stderr: a
// self-overwriting line on a terminal, a line per 10% otherwise.
type progressReader struct {
	r       io.Reader
	total   int64
	done    int64
	name    string
	w       io.Writer
	tty     bool
	start   time.Time
	last    time.Time
	lastPct int64
}

func newProgressReader(r io.Reader, total int64, name string, w io.Writer) *progressReader {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := time.Now()
	return &progressReader{r: r, total: total, name: name, w: w, tty: tty, start: now, last: now}
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	p.report(false)
	return n, err
}

func (p *progressReader) report(final bool) {
	now := time.Now()
	if p.tty {
		if !final && now.Sub(p.last) < 200*time.Millisecond {
			return
		}
		p.last = now
		rate := float64(p.done) / max(now.Sub(p.start).Seconds(), 1e-3)
		fmt.Fprintf(p.w, "\r%s: %s", p.name, humanize.IBytes(uint64(p.done)))
		if p.total > 0 {
			fmt.Fprintf(p.w, " / %s (%d%%)", humanize.IBytes(uint64(p.total)), p.done*100/p.total)
		}
		fmt.Fprintf(p.w, " %s/s   ", humanize.IBytes(uint64(rate)))
		if final {
			fmt.Fprintln(p.w)
		}
		return
	}
	if p.total <= 0 {
		return
	}
	pct := p.done * 100 / p.total
	if pct/10 > p.lastPct/10 || (final && pct != p.lastPct) {
		p.lastPct = pct
		fmt.Fprintf(p.w, "%s: %d%% (%s)\n", p.name, pct, humanize.IBytes(uint64(p.done)))
	}
}

func (p *progressReader) finish() { p.report(true) }
