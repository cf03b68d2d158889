package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dustin/go-humanize"
)

// progressPrinter shows an import's progress on stderr: a self-overwriting
// line on a terminal, a line per 10% otherwise.
type progressPrinter struct {
	total   int64
	done    int64
	name    string
	w       io.Writer
	tty     bool
	start   time.Time
	last    time.Time
	lastPct int64
}

func newProgressPrinter(name string, w io.Writer) *progressPrinter {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := time.Now()
	return &progressPrinter{name: name, w: w, tty: tty, start: now, last: now}
}

// update is the import's progress callback.
func (p *progressPrinter) update(done, total int64) {
	p.done, p.total = done, total
	p.report(false)
}

func (p *progressPrinter) report(final bool) {
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

func (p *progressPrinter) finish() { p.report(true) }
