package node

import (
	"context"
	"net/http"
	"sync"
	"time"

	bsmsg "github.com/ipfs/boxo/bitswap/message"
	bsnetwork "github.com/ipfs/boxo/bitswap/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// SetUploadLimit caps what the node serves to peers (bitswap and the
// trustless gateway handler together) at bytesPerSecond; 0 or less lifts
// the cap. It takes effect at once, for sends already waiting too, and
// works before Start.
func (n *Node) SetUploadLimit(bytesPerSecond int64) {
	n.uploadBucket().setRate(bytesPerSecond)
	n.log.Info("upload limit set", "bytes_per_second", max(bytesPerSecond, 0))
}

// UploadLimit is the current upload cap in bytes per second; 0 means
// unlimited.
func (n *Node) UploadLimit() int64 { return n.uploadBucket().limit() }

// uploadBucket is the node's one upload bucket, set up from
// Config.UploadLimit on first use so that New needs no part in it.
func (n *Node) uploadBucket() *tokenBucket { return n.uploads.bucketAt(n.cfg.UploadLimit) }

// rateCap lives in Node (uploads, seeding downloads); its zero value is
// ready.
type rateCap struct {
	once   sync.Once
	bucket tokenBucket
}

// bucketAt returns the bucket, set to initial bytes per second on first
// use.
func (c *rateCap) bucketAt(initial int64) *tokenBucket {
	c.once.Do(func() { c.bucket.setRate(initial) })
	return &c.bucket
}

// burstSeconds is how much unused allowance an idle bucket keeps: enough
// that a lone small request passes at once, little enough that a cap
// measured over a few seconds still holds.
const burstSeconds = 0.25

// tokenBucket hands out bytes at a rate. It counts in cumulative bytes:
// allowed grows with time at the rate, reserved grows with every take, and
// a take returns when allowed reaches its place in line. Takes may be
// larger than the burst (a 1 MiB block under a small cap): the bucket
// goes into debt and later takers wait it off. When the rate changes,
// waiters wake and recompute, so a new limit applies at once.
type tokenBucket struct {
	mu       sync.Mutex
	rate     float64 // bytes per second; 0 = unlimited
	allowed  float64
	reserved float64
	at       time.Time     // when allowed was last advanced
	changed  chan struct{} // closed and replaced on every rate change
}

func (b *tokenBucket) limit() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int64(b.rate)
}

func (b *tokenBucket) setRate(bytesPerSecond int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.advance(now)
	if bytesPerSecond <= 0 {
		b.rate = 0
		b.allowed = b.reserved // everyone waiting may go
	} else {
		full := b.reserved + float64(bytesPerSecond)*burstSeconds
		if b.rate == 0 || b.allowed > full {
			// Coming from unlimited, a full burst; from a higher rate, no
			// more than the new rate's burst (an idle bucket would
			// otherwise pass the old rate's burst at the new one).
			b.allowed = full
		}
		b.rate = float64(bytesPerSecond)
	}
	b.at = now
	if b.changed != nil {
		close(b.changed)
	}
	b.changed = make(chan struct{})
}

// advance adds the allowance earned since b.at. Callers hold b.mu.
func (b *tokenBucket) advance(now time.Time) {
	if b.rate > 0 {
		b.allowed += now.Sub(b.at).Seconds() * b.rate
		if full := b.reserved + b.rate*burstSeconds; b.allowed > full {
			b.allowed = full
		}
	}
	b.at = now
}

// take waits until n more bytes may go out. On ctx's end it gives the
// bytes back, so those queued behind move up.
func (b *tokenBucket) take(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	b.mu.Lock()
	b.advance(time.Now())
	b.reserved += float64(n)
	place := b.reserved
	if b.rate == 0 {
		b.allowed = b.reserved
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if b.rate == 0 || b.allowed >= place {
			b.mu.Unlock()
			return nil
		}
		wait := time.Duration((place - b.allowed) / b.rate * float64(time.Second))
		changed := b.changed
		b.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-timer.C:
		case <-changed:
		case <-ctx.Done():
			b.giveBack(n)
			return ctx.Err()
		}
		b.mu.Lock()
		b.advance(time.Now())
	}
}

// owe charges n bytes that already went through without waiting (a
// block larger than was paid for): later takers wait the debt off.
func (b *tokenBucket) owe(n int) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(time.Now())
	b.reserved += float64(n)
	if b.rate == 0 {
		b.allowed = b.reserved
	}
}

// giveBack returns n bytes taken but never sent, so those queued behind
// move up.
func (b *tokenBucket) giveBack(n int) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed += float64(n)
}

// cappedNetwork is bitswap's network with outgoing block bytes drawn from
// the upload bucket. The server sends through SendMessage; the client's
// wantlists go through NewMessageSender and are left alone.
type cappedNetwork struct {
	bsnetwork.BitSwapNetwork
	bucket *tokenBucket
}

var _ bsnetwork.BitSwapNetwork = (*cappedNetwork)(nil)

func capBitswapUploads(net bsnetwork.BitSwapNetwork, bucket *tokenBucket) *cappedNetwork {
	return &cappedNetwork{BitSwapNetwork: net, bucket: bucket}
}

func (c *cappedNetwork) SendMessage(ctx context.Context, p peer.ID, msg bsmsg.BitSwapMessage) error {
	size := 0
	for _, blk := range msg.Blocks() {
		size += len(blk.RawData())
	}
	if err := c.bucket.take(ctx, size); err != nil {
		return err
	}
	return c.BitSwapNetwork.SendMessage(ctx, p, msg)
}

// httpCredit is how much of a response one take pays for ahead. The
// bucket serves takers in turn, so each take's size is its weight: a
// response pays for up to one 1 MiB block at a time, like a bitswap send,
// whatever sizes the handler writes in (raw blocks go out in 32 KiB
// writes, which alone would trail far behind bitswap's 1 MiB blocks).
const httpCredit = 1 << 20

// capUploads makes h's response bodies draw from the node's upload
// bucket, the one bitswap's server uses. Wrapping twice is harmless: an
// already capped handler comes back as it is.
func (n *Node) capUploads(h http.Handler) http.Handler {
	bucket := n.uploadBucket()
	if c, ok := h.(*cappedHandler); ok && c.bucket == bucket {
		return h
	}
	return &cappedHandler{next: h, bucket: bucket}
}

type cappedHandler struct {
	next   http.Handler
	bucket *tokenBucket
}

func (h *cappedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cw := &cappedWriter{ResponseWriter: w, ctx: r.Context(), bucket: h.bucket}
	defer cw.giveBackCredit()
	h.next.ServeHTTP(cw, r)
}

// cappedWriter paces a response body. A client that goes away ends the
// request context, which ends any wait.
type cappedWriter struct {
	http.ResponseWriter
	ctx    context.Context
	bucket *tokenBucket
	credit int // bytes paid for and not yet written
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if w.credit == 0 {
			if err := w.bucket.take(w.ctx, httpCredit); err != nil {
				return written, err
			}
			w.credit = httpCredit
		}
		chunk := p[:min(len(p), w.credit)]
		n, err := w.ResponseWriter.Write(chunk)
		written += n
		w.credit -= n
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// giveBackCredit returns what the response paid for and did not send.
func (w *cappedWriter) giveBackCredit() {
	w.bucket.giveBack(w.credit)
	w.credit = 0
}

// Flush keeps streamed responses (CAR) streaming through the wrapper.
func (w *cappedWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *cappedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
