package gwfetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ipfs/go-cid"
)

// Why an attempt ended; the causes given to an attempt's context tell a
// bound that fired from a caller that gave up.
var (
	errNoHeaders   = errors.New("no response headers within the time-to-first-byte bound")
	errStalled     = errors.New("response body stalled")
	errTooSlow     = errors.New("request exceeded its time bound")
	errTooLarge    = errors.New("block larger than the limit")
	errEncoded     = errors.New("response has a content encoding")
	errMismatch    = errors.New("bytes do not match the CID")
	errMiss        = errors.New("gateway does not have the block")
	errRetryLater  = errors.New("gateway asks to retry later")
	errServer      = errors.New("gateway error")
	errContentType = errors.New("response is not a raw block")
)

// errorBodyLimit bounds what is read of a non-200 body: enough to keep the
// connection reusable, not enough to matter.
const errorBodyLimit = 4 << 10

// report is what one request found out about its gateway.
type report struct {
	ttfb      time.Duration // zero without response headers
	bodyN     int64
	bodyDur   time.Duration
	err       error
	transport bool      // no HTTP exchange: dial, TLS, reset, no headers
	retryAt   time.Time // from Retry-After on 429/503
	cancelled bool      // the caller or a faster gateway ended it
}

// bodyToken lets one of the racing responses for a block read its body at a
// time, so a hedge costs a request rather than a second copy of the block.
type bodyToken chan struct{}

func newBodyToken() bodyToken {
	t := make(bodyToken, 1)
	t <- struct{}{}
	return t
}

// acquire waits for the token, giving up on the wait (and reading anyway)
// after patience, since the holder may be trickling its body.
func (t bodyToken) acquire(ctx context.Context, patience time.Duration) (owned bool, err error) {
	timer := time.NewTimer(patience)
	defer timer.Stop()
	select {
	case <-t:
		return true, nil
	case <-timer.C:
		return false, nil
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}

func (t bodyToken) release() { t <- struct{}{} }

// attempt makes one Fetch request to g in a slot pick reserved, records
// what it learned and returns verified bytes.
func (f *Fetcher) attempt(ctx context.Context, g *gateway, c cid.Cid, token bodyToken, answered chan<- struct{}) ([]byte, error) {
	defer f.release(g)
	data, rep := f.get(ctx, g, c, token, answered)
	f.record(g, c, rep)
	return data, rep.err
}

// get requests block c from g within the configured bounds. token and
// answered may be nil (probes).
func (f *Fetcher) get(ctx context.Context, g *gateway, c cid.Cid, token bodyToken, answered chan<- struct{}) ([]byte, report) {
	var rep report
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	whole := time.AfterFunc(f.cfg.request, func() { cancel(errTooSlow) })
	defer whole.Stop()
	noHeaders := time.AfterFunc(f.cfg.ttfb, func() { cancel(errNoHeaders) })

	req, err := http.NewRequestWithContext(actx, http.MethodGet, g.url+"/ipfs/"+c.String()+"?format=raw", nil)
	if err != nil {
		noHeaders.Stop()
		rep.err = err
		return nil, rep
	}
	req.Header.Set("Accept", "application/vnd.ipld.raw")
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", f.cfg.userAgent)

	begin := time.Now()
	resp, err := f.client.Do(req)
	noHeaders.Stop()
	if err != nil {
		rep.err, rep.cancelled = f.cause(ctx, actx, err)
		rep.transport = !rep.cancelled
		return nil, rep
	}
	defer resp.Body.Close()
	rep.ttfb = time.Since(begin)
	if answered != nil {
		select {
		case answered <- struct{}{}:
		default:
		}
	}
	// From the headers on, the body may not go silent for long, whatever
	// the status; the clock pauses only while this response waits its
	// turn to read.
	stall := time.AfterFunc(f.cfg.stall, func() { cancel(errStalled) })
	defer stall.Stop()
	body := &countingReader{r: resp.Body, f: f, g: g, onRead: func() { stall.Reset(f.cfg.stall) }}

	if resp.StatusCode != http.StatusOK {
		f.drain(body)
		rep.err, rep.retryAt = classifyStatus(resp)
		return nil, rep
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		rep.err = fmt.Errorf("%w: %q", errEncoded, enc)
		return nil, rep
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/vnd.ipld.raw") {
		rep.err = fmt.Errorf("%w: %q", errContentType, ct)
		return nil, rep
	}
	if resp.ContentLength > f.cfg.maxBlockSize {
		rep.err = fmt.Errorf("%w: Content-Length %d > %d", errTooLarge, resp.ContentLength, f.cfg.maxBlockSize)
		return nil, rep
	}

	if token != nil {
		stall.Stop()
		owned, err := token.acquire(actx, f.cfg.stall)
		if err != nil {
			rep.err, rep.cancelled = f.cause(ctx, actx, err)
			return nil, rep
		}
		if owned {
			defer func() {
				// The block is delivered: keep the token so no waiting
				// response starts reading a copy before it is cancelled.
				if rep.err != nil {
					token.release()
				}
			}()
		}
	}

	stall.Reset(f.cfg.stall)
	readStart := time.Now()
	data, err := readLimited(body, resp.ContentLength, f.cfg.maxBlockSize)
	rep.bodyN, rep.bodyDur = int64(len(data)), time.Since(readStart)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			rep.err = err
		} else {
			rep.err, rep.cancelled = f.cause(ctx, actx, err)
		}
		return nil, rep
	}
	if err := verify(c, data); err != nil {
		rep.err = err
		return nil, rep
	}
	return data, rep
}

// cause explains err from a request on actx (derived from ctx): a bound of
// ours that fired, or cancellation by the caller (cancelled, not the
// gateway's fault), or the transport's own error.
func (f *Fetcher) cause(ctx, actx context.Context, err error) (error, bool) {
	if ctx.Err() != nil {
		return context.Cause(ctx), true
	}
	if actx.Err() != nil {
		if c := context.Cause(actx); c != nil {
			return c, false
		}
	}
	return err, false
}

func classifyStatus(resp *http.Response) (error, time.Time) {
	code := resp.StatusCode
	switch code {
	case http.StatusNotFound, http.StatusGone, http.StatusForbidden, http.StatusUnavailableForLegalReasons:
		return fmt.Errorf("%w: HTTP %d", errMiss, code), time.Time{}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return fmt.Errorf("%w: HTTP %d", errRetryLater, code), parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return fmt.Errorf("%w: HTTP %d", errServer, code), time.Time{}
}

// parseRetryAfter reads delay-seconds or an HTTP date; zero if absent or
// unreadable.
func parseRetryAfter(v string, now time.Time) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}
		}
		return now.Add(time.Duration(min(secs, int64(365*24*3600))) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return t
	}
	return time.Time{}
}

func (f *Fetcher) drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, errorBodyLimit))
}

// readLimited reads a body of at most limit bytes, reading limit+1 at most
// to tell a longer one, and never holding more than that in memory.
func readLimited(r io.Reader, contentLength, limit int64) ([]byte, error) {
	size := int64(64 << 10)
	if contentLength >= 0 {
		size = contentLength + 1 // +1 so the final read sees EOF without growing
	}
	size = min(size, limit+1)
	buf := make([]byte, 0, size)
	for {
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("%w: over %d bytes", errTooLarge, limit)
		}
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(int64(cap(buf))*2, limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			if int64(len(buf)) > limit {
				return nil, fmt.Errorf("%w: over %d bytes", errTooLarge, limit)
			}
			return buf, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) && contentLength >= 0 {
			return nil, fmt.Errorf("body cut off after %d of %d bytes: %w", len(buf), contentLength, err)
		}
		if err != nil {
			return nil, err
		}
	}
}

// verify checks data against c's multihash; a mismatch bans the gateway.
func verify(c cid.Cid, data []byte) error {
	got, err := c.Prefix().Sum(data)
	if err != nil {
		return err
	}
	if !bytes.Equal(got.Hash(), c.Hash()) {
		return errMismatch
	}
	return nil
}

// countingReader counts body bytes into the Fetcher's and the gateway's
// totals and reports progress for the stall bound.
type countingReader struct {
	r      io.Reader
	f      *Fetcher
	g      *gateway
	onRead func()
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.f.requested.Add(int64(n))
		c.g.requested.Add(int64(n))
		if c.onRead != nil {
			c.onRead()
		}
	}
	return n, err
}

// record folds one request's report into g's standing.
func (f *Fetcher) record(g *gateway, c cid.Cid, rep report) {
	if rep.cancelled {
		return
	}
	now := time.Now()
	log := f.cfg.log.With("gateway", g.url, "cid", c.String())
	f.mu.Lock()
	defer f.mu.Unlock()
	wasUnreachable := g.unreachable
	switch {
	case rep.err == nil:
		g.observeLatency(rep.ttfb)
		g.observeThroughput(rep.bodyN, rep.bodyDur)
		g.count(outcomeOK, now)
		g.consecutiveErrs = 0
		g.unreachable = false
		if wasUnreachable {
			log.Info("gwfetch: gateway reachable again", "latency", rep.ttfb)
		}
	case errors.Is(rep.err, errMismatch):
		g.count(outcomeError, now)
		g.bannedUntil = now.Add(f.cfg.banDuration)
		log.Warn("gwfetch: gateway served bytes that fail verification; banned",
			"bytes", rep.bodyN, "until", g.bannedUntil.Format(time.RFC3339))
	case errors.Is(rep.err, errMiss):
		g.observeLatency(rep.ttfb)
		g.count(outcomeMiss, now)
		g.consecutiveErrs = 0
		g.unreachable = false
	case errors.Is(rep.err, errRetryLater):
		g.count(outcomeMiss, now)
		g.unreachable = false
		until := rep.retryAt
		if until.IsZero() {
			g.consecutiveErrs++
			until = now.Add(f.backoff(g.consecutiveErrs))
		}
		if capped := now.Add(f.cfg.maxCooldown); until.After(capped) {
			until = capped
		}
		g.cooldownUntil = later(g.cooldownUntil, until)
		log.Info("gwfetch: gateway asks to slow down; cooling down", "err", rep.err, "until", g.cooldownUntil.Format(time.RFC3339))
	default:
		g.count(outcomeError, now)
		g.consecutiveErrs++
		g.unreachable = rep.transport || errors.Is(rep.err, errNoHeaders)
		g.cooldownUntil = later(g.cooldownUntil, now.Add(f.backoff(g.consecutiveErrs)))
		lvl := slog.LevelDebug
		if g.unreachable && !wasUnreachable {
			lvl = slog.LevelInfo
		}
		log.Log(context.Background(), lvl, "gwfetch: request failed", "err", rep.err,
			"unreachable", g.unreachable, "retry_after", g.cooldownUntil.Sub(now).Round(time.Millisecond))
	}
}

// backoff is the cooldown after the n-th consecutive error.
func (f *Fetcher) backoff(n int) time.Duration {
	d := f.cfg.backoff
	for i := 1; i < n && d < f.cfg.maxCooldown; i++ {
		d *= 2
	}
	return min(d, f.cfg.maxCooldown)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
