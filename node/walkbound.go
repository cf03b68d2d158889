package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/files"
	"github.com/ipfs/boxo/gateway"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	"github.com/ipfs/boxo/path"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// Bounds of one walk over a DAG from the network: resolving a path,
// choosing a directory's video, one request to a gateway the node serves.
// See the package doc ("Walk bounds") for why these numbers.
const (
	// MaxWalkBlocks bounds the block reads of one walk. A block read
	// twice counts twice, so it also bounds the links followed: a DAG
	// that links many times to the same block is as costly as it looks.
	MaxWalkBlocks = 8192
	// MaxDirEntries bounds the directory entries one walk lists.
	MaxDirEntries = 10_000
)

// ErrDAGTooLarge is the error a walk ends with past one of its bounds.
var ErrDAGTooLarge = errors.New("DAG too large")

// DAGTooLargeError names the bound a walk went past; it matches
// ErrDAGTooLarge under errors.Is.
type DAGTooLargeError struct {
	What  string // "block reads" or "directory entries"
	Limit int
}

func (e *DAGTooLargeError) Error() string {
	return fmt.Sprintf("more than %d %s: %s", e.Limit, e.What, ErrDAGTooLarge)
}

func (e *DAGTooLargeError) Is(target error) bool { return target == ErrDAGTooLarge }

// walkBudget counts what one walk costs. It rides on the walk's context,
// so every block service, resolver and DAG service the node builds over
// its blockstore charges it without being told: the blockstore itself
// (walkBoundedBlockstore) does the counting.
type walkBudget struct {
	reads   atomic.Int64
	entries atomic.Int64
	// stop cancels the walk's context when a bound is passed: boxo's
	// GetBlocks takes any blockstore error for a miss and would go on to
	// fetch, and its walkers stop on a cancelled context.
	stop context.CancelCauseFunc

	mu  sync.Mutex
	err error // the first bound passed
}

type walkBudgetKey struct{}

// boundWalk gives ctx a walk budget, unless it carries one already (a
// walk inside a walk shares its budget). release ends it; until then the
// context is cancelled, with the bound as its cause, once a bound is
// passed.
func boundWalk(ctx context.Context) (_ context.Context, release func()) {
	if walkBudgetOf(ctx) != nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	b := &walkBudget{stop: cancel}
	return context.WithValue(ctx, walkBudgetKey{}, b), func() { cancel(nil) }
}

// unboundWalk takes ctx out of its walk: reading a file is not a walk,
// its cost follows what the reader reads (see File).
func unboundWalk(ctx context.Context) context.Context {
	if walkBudgetOf(ctx) == nil {
		return ctx
	}
	return context.WithValue(ctx, walkBudgetKey{}, (*walkBudget)(nil))
}

func walkBudgetOf(ctx context.Context) *walkBudget {
	b, _ := ctx.Value(walkBudgetKey{}).(*walkBudget)
	return b
}

// chargeRead counts one block read.
func (b *walkBudget) chargeRead() error {
	if b.reads.Add(1) > MaxWalkBlocks {
		return b.exceed(&DAGTooLargeError{What: "block reads", Limit: MaxWalkBlocks})
	}
	return nil
}

// chargeEntry counts one directory entry listed.
func (b *walkBudget) chargeEntry() error {
	if b.entries.Add(1) > MaxDirEntries {
		return b.exceed(&DAGTooLargeError{What: "directory entries", Limit: MaxDirEntries})
	}
	return nil
}

func (b *walkBudget) exceed(err error) error {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	err = b.err
	b.mu.Unlock()
	b.stop(err)
	return err
}

func (b *walkBudget) exceeded() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// walkError is err, or the bound the walk of ctx went past when there is
// one: past a bound the walk ends with whatever the cancelled context
// made the code under it say ("context canceled"), which hides why.
func walkError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if b := walkBudgetOf(ctx); b != nil {
		if berr := b.exceeded(); berr != nil && !errors.Is(err, ErrDAGTooLarge) {
			return berr
		}
	}
	return err
}

// walkBoundedBlockstore charges every block read to the walk budget of
// its context, if any. The node's blockstore is one: block services,
// sessions, resolvers and gateways all read through it.
type walkBoundedBlockstore struct {
	blockstore.Blockstore
}

func (b walkBoundedBlockstore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if wb := walkBudgetOf(ctx); wb != nil {
		if err := wb.chargeRead(); err != nil {
			return nil, err
		}
	}
	return b.Blockstore.Get(ctx, c)
}

// listDirectory calls fn for each entry of the UnixFS directory nd (a
// HAMT-sharded one too), in the directory's order, charging each entry
// to the walk of ctx; ctx must carry a walk budget (boundWalk).
//
// boxo's HAMT walk keeps every shard it loaded until the walk ends, so
// memory follows block reads plus entries, both bounded.
func listDirectory(ctx context.Context, dag ipld.DAGService, nd ipld.Node, fn func(*ipld.Link) error) error {
	budget := walkBudgetOf(ctx)
	if budget == nil {
		return errors.New("list directory: no walk budget (a bug)")
	}
	dir, err := uio.NewDirectoryFromNode(dag, nd)
	if err != nil {
		return fmt.Errorf("list directory: %w", err)
	}
	err = dir.ForEachLink(ctx, func(l *ipld.Link) error {
		if err := budget.chargeEntry(); err != nil {
			return err
		}
		return fn(l)
	})
	if err != nil {
		return fmt.Errorf("list directory: %w", walkError(ctx, err))
	}
	return nil
}

// walkBoundedBackend puts the walk bounds on every request to a gateway
// handler: each request is one walk. newGatewayHandler builds every
// gateway the node serves on it.
type walkBoundedBackend struct {
	gateway.IPFSBackend
}

var (
	_ gateway.IPFSBackend     = walkBoundedBackend{}
	_ gateway.WithContextHint = walkBoundedBackend{}
)

// WrapContextForRequest starts the request's walk. Its release is the
// request's end: boxo's handler cancels the request context then, which
// ends the budget's context with it.
func (b walkBoundedBackend) WrapContextForRequest(ctx context.Context) context.Context {
	if h, ok := b.IPFSBackend.(gateway.WithContextHint); ok {
		ctx = h.WrapContextForRequest(ctx)
	}
	ctx, _ = boundWalk(ctx) // released with the request, as said above
	return ctx
}

// gatewayWalkError turns a walk bound into a response: 502 Bad Gateway,
// as for any content the network gave that the gateway will not serve.
func gatewayWalkError(ctx context.Context, err error) error {
	err = walkError(ctx, err)
	if errors.Is(err, ErrDAGTooLarge) {
		var sc *gateway.ErrorStatusCode
		if !errors.As(err, &sc) {
			return gateway.NewErrorStatusCode(fmt.Errorf("gateway: %w", err), http.StatusBadGateway)
		}
	}
	return err
}

func (b walkBoundedBackend) Get(ctx context.Context, p path.ImmutablePath, ranges ...gateway.ByteRange) (gateway.ContentPathMetadata, *gateway.GetResponse, error) {
	md, r, err := b.IPFSBackend.Get(ctx, p, ranges...)
	return md, r, gatewayWalkError(ctx, err)
}

func (b walkBoundedBackend) Head(ctx context.Context, p path.ImmutablePath) (gateway.ContentPathMetadata, *gateway.HeadResponse, error) {
	md, r, err := b.IPFSBackend.Head(ctx, p)
	return md, r, gatewayWalkError(ctx, err)
}

func (b walkBoundedBackend) GetAll(ctx context.Context, p path.ImmutablePath) (gateway.ContentPathMetadata, files.Node, error) {
	md, nd, err := b.IPFSBackend.GetAll(ctx, p)
	return md, nd, gatewayWalkError(ctx, err)
}

func (b walkBoundedBackend) GetBlock(ctx context.Context, p path.ImmutablePath) (gateway.ContentPathMetadata, files.File, error) {
	md, f, err := b.IPFSBackend.GetBlock(ctx, p)
	return md, f, gatewayWalkError(ctx, err)
}

func (b walkBoundedBackend) ResolvePath(ctx context.Context, p path.ImmutablePath) (gateway.ContentPathMetadata, error) {
	md, err := b.IPFSBackend.ResolvePath(ctx, p)
	return md, gatewayWalkError(ctx, err)
}

// GetCAR's body is written as the walk goes; a bound passed then cuts
// the body short with the bound as the stream's error.
func (b walkBoundedBackend) GetCAR(ctx context.Context, p path.ImmutablePath, params gateway.CarParams) (gateway.ContentPathMetadata, io.ReadCloser, error) {
	md, rc, err := b.IPFSBackend.GetCAR(ctx, p, params)
	if err != nil {
		return md, nil, gatewayWalkError(ctx, err)
	}
	return md, walkErrorReader{ctx: ctx, ReadCloser: rc}, nil
}

// walkErrorReader reports a bound passed in place of the read error it
// caused.
type walkErrorReader struct {
	ctx context.Context
	io.ReadCloser
}

func (r walkErrorReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = walkError(r.ctx, err)
	}
	return n, err
}
