package node

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	madns "github.com/multiformats/go-multiaddr-dns"
)

// recordingResolver stands in for the system's DNS resolver and records
// every query, answering none.
type recordingResolver struct {
	mu      sync.Mutex
	queries []string
}

var errNoDNSHere = errors.New("test resolver: no DNS here")

func (r *recordingResolver) LookupIPAddr(_ context.Context, name string) ([]net.IPAddr, error) {
	r.record("A/AAAA " + name)
	return nil, errNoDNSHere
}

func (r *recordingResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	r.record("TXT " + name)
	return nil, errNoDNSHere
}

func (r *recordingResolver) record(q string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, q)
}

func (r *recordingResolver) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.queries...)
}

// An isolated node resolves no DNSLink name: it fails with
// ErrDNSLinkIsolated and the system's resolver (madns.DefaultResolver,
// what boxo's name system asks by default) sees no query.
func TestIsolatedNodeSendsNoDNSLinkQueries(t *testing.T) {
	rec := &recordingResolver{}
	sys, err := madns.NewResolver(madns.WithDefaultResolver(rec))
	if err != nil {
		t.Fatal(err)
	}
	saved := madns.DefaultResolver
	madns.DefaultResolver = sys
	t.Cleanup(func() { madns.DefaultResolver = saved })

	n := newTestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range []string{"example.com", "en.wikipedia-on-ipfs.org"} {
		_, err := n.ResolveName(ctx, name)
		if !errors.Is(err, ErrDNSLinkIsolated) {
			t.Errorf("ResolveName(%q): %v, want ErrDNSLinkIsolated", name, err)
		}
	}
	if q := rec.seen(); len(q) > 0 {
		t.Fatalf("the isolated node asked the system resolver: %q", q)
	}
}
