package gwfetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestHostileResponses: each response a misbehaving gateway can send is
// refused within its bound, returns no block, reads at most the block limit
// plus one byte and keeps memory bounded.
func TestHostileResponses(t *testing.T) {
	c := importRandom(t, 2<<20, 11)
	want := c.leaves[0]
	wantData := c.blocks[want]
	const (
		ttfb    = 500 * time.Millisecond
		stall   = 500 * time.Millisecond
		request = 1500 * time.Millisecond
		limit   = DefaultMaxBlockSize
		margin  = 3 * time.Second // a busy 2-core machine under -race
	)
	chunk := bytes.Repeat([]byte{0xab}, 32<<10)
	bomb := gzipBomb(t, 1024) // 1 GiB inflated

	rawHeaders := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/vnd.ipld.raw")
	}
	holdUntilGone := func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}

	cases := []struct {
		name     string
		handler  http.HandlerFunc
		url      func(t testing.TB) string // instead of handler
		err      error
		minTime  time.Duration
		maxTime  time.Duration
		maxRead  int64
		state    string
		boundMem bool
	}{
		{
			name: "over the limit by Content-Length",
			handler: func(w http.ResponseWriter, r *http.Request) {
				rawHeaders(w)
				w.Header().Set("Content-Length", strconv.Itoa(3<<20))
				for range (3 << 20) / len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			},
			err: errTooLarge, maxTime: margin, maxRead: 0, state: StateCooling,
		},
		{
			name: "over the limit, chunked",
			handler: func(w http.ResponseWriter, r *http.Request) {
				rawHeaders(w)
				for range (3 << 20) / len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return
					}
					w.(http.Flusher).Flush()
				}
			},
			err: errTooLarge, maxTime: margin, maxRead: limit + 1, state: StateCooling, boundMem: true,
		},
		{
			name: "endless body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				rawHeaders(w)
				for {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			},
			err: errTooLarge, maxTime: margin, maxRead: limit + 1, state: StateCooling, boundMem: true,
		},
		{
			name: "gzip bomb",
			handler: func(w http.ResponseWriter, r *http.Request) {
				rawHeaders(w)
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Content-Length", strconv.Itoa(len(bomb)))
				_, _ = w.Write(bomb)
			},
			err: errEncoded, maxTime: margin, maxRead: 0, state: StateCooling, boundMem: true,
		},
		{
			name: "not a raw block",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html>welcome to the gateway</html>"))
			},
			err: errContentType, maxTime: margin, maxRead: 0, state: StateCooling,
		},
		{
			// We only ask for raw blocks; a CAR (here cut off after its
			// header's length prefix) is refused by its type, unread.
			name: "truncated CAR",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/vnd.ipld.car; version=1")
				_, _ = w.Write([]byte{0x3a, 0xa2, 0x65, 0x72, 0x6f})
			},
			err: errContentType, maxTime: margin, maxRead: 0, state: StateCooling,
		},
		{
			name: "truncated block",
			handler: func(w http.ResponseWriter, r *http.Request) {
				rawHeaders(w)
				w.Header().Set("Content-Length", strconv.Itoa(len(wantData)))
				_, _ = w.Write(wantData[:len(wantData)/2])
			},
			err: io.ErrUnexpectedEOF, maxTime: margin, maxRead: int64(len(wantData) / 2), state: StateCooling,
		},
		{
			name: "headers then silence",
			handler: func(w http.ResponseWriter, r *http.Request) {
				rawHeaders(w)
				holdUntilGone(w, r)
			},
			err: errStalled, minTime: stall, maxTime: stall + margin, maxRead: 0, state: StateCooling,
		},
		{
			name: "error status then silence",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				holdUntilGone(w, r)
			},
			err: errServer, minTime: stall, maxTime: stall + margin, maxRead: 0, state: StateCooling,
		},
		{
			name: "some body then silence",
			handler: func(w http.ResponseWriter, r *http.Request) {
				rawHeaders(w)
				_, _ = w.Write(chunk)
				holdUntilGone(w, r)
			},
			err: errStalled, minTime: stall, maxTime: stall + margin, maxRead: int64(len(chunk)), state: StateCooling,
		},
		{
			name: "trickle that never stalls",
			handler: func(w http.ResponseWriter, r *http.Request) {
				rawHeaders(w)
				tick := time.NewTicker(stall / 5)
				defer tick.Stop()
				for {
					if _, err := w.Write([]byte{1}); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-tick.C:
					case <-r.Context().Done():
						return
					}
				}
			},
			err: errTooSlow, minTime: request, maxTime: request + margin, maxRead: 100, state: StateCooling,
		},
		{
			name: "no headers at all",
			url:  silentURL,
			err:  errNoHeaders, minTime: ttfb, maxTime: ttfb + margin, maxRead: 0, state: StateUnreachable,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var url string
			if tc.url != nil {
				url = tc.url(t)
			} else {
				url = served(t, tc.handler)
			}
			f := newFetcher(t, []string{url}, WithProbeInterval(0), WithTimeToFirstByte(ttfb),
				WithStallTimeout(stall), WithRequestTimeout(request))
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			b, err := f.Fetch(context.Background(), want)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			read := f.BytesRequested()
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("refused after %v, %d body bytes read, %.1f MiB allocated: %v", took.Round(time.Millisecond), read, float64(alloc)/(1<<20), err)
			if b != nil {
				t.Errorf("got a block from a hostile gateway")
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("error %v, want %v", err, tc.err)
			}
			if took < tc.minTime || took > tc.maxTime {
				t.Errorf("took %v, want between %v and %v", took, tc.minTime, tc.maxTime)
			}
			if read > tc.maxRead {
				t.Errorf("read %d body bytes, want at most %d", read, tc.maxRead)
			}
			if tc.boundMem && alloc > 16<<20 {
				t.Errorf("allocated %d bytes while refusing it", alloc)
			}
			if r := rankOf(f, url); r.State != tc.state || r.SuccessRate != 0 {
				t.Errorf("gateway %q with success rate %.2f, want %q and 0", r.State, r.SuccessRate, tc.state)
			}
			if _, err := f.Fetch(context.Background(), want); !errors.Is(err, ErrNoGateways) {
				t.Errorf("Fetch during the backoff: %v, want ErrNoGateways", err)
			}
		})
	}
}

// gzipBomb makes a small gzip body that inflates to n MiB of zeros: one
// compressed MiB repeated as n concatenated gzip members (a valid stream).
func gzipBomb(t *testing.T, n int) []byte {
	var member bytes.Buffer
	zw, err := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(zw, zeros{}, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Repeat(member.Bytes(), n)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestReadLimited checks the reader's edges: exactly the limit passes, one
// byte more does not, and the buffer never grows past limit+1.
func TestReadLimited(t *testing.T) {
	const limit = 100 << 10
	for _, tc := range []struct {
		n      int
		cl     int64
		wantOK bool
	}{
		{limit, -1, true}, {limit, limit, true}, {limit + 1, -1, false}, {0, 0, true}, {0, -1, true}, {5, 2, true},
	} {
		data, err := readLimited(bytes.NewReader(make([]byte, tc.n)), tc.cl, limit)
		if (err == nil) != tc.wantOK || (err == nil && len(data) != tc.n) || cap(data) > limit+1 {
			t.Errorf("n=%d cl=%d: len %d cap %d err %v", tc.n, tc.cl, len(data), cap(data), err)
		}
	}
}

// TestGzipBombIsOne makes sure the bomb is real: n members inflate to n MiB
// (checked for 16, to stay quick under -race) at about 1 KiB each.
func TestGzipBombIsOne(t *testing.T) {
	bomb := gzipBomb(t, 16)
	zr, err := gzip.NewReader(bytes.NewReader(bomb))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil || n != 16<<20 {
		t.Fatalf("inflated %d bytes (%v), want 16 MiB", n, err)
	}
	if len(bomb) > 16*2<<10 {
		t.Fatalf("%d compressed bytes for 16 MiB, not much of a bomb", len(bomb))
	}
	t.Logf("%d compressed bytes inflate to %d", len(bomb), n)
}
