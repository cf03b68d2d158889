package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/boxo/ipld/merkledag"
	ft "github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"

	"github.com/ipfs-tube/ipfs-tube/node"
)

// `cat` and `get` through the control API receive the file as a CAR (its
// blocks depth-first, as node.WalkFile sends them), not as bare bytes: the
// client checks every block against the link that names it, starting from
// the CID it asked for, before any of the block's bytes reach stdout or the
// file, so a lying or broken server cannot slip in a single wrong byte. A
// mismatch stops the command with an error (and `get` then leaves no file).
// Hashing at the end instead would need the bytes buffered, or the
// importer's exact parameters, which a file made elsewhere does not share.
//
// For an /ipfs/CID/path or ipns:// target the client cannot check the
// resolution (it has no blocks of its own): the bytes are checked against
// the CID the holder resolved, and the holder has proven it holds the
// token (see controlauth.go).

// maxCARBlock bounds one block of the stream: bitswap's largest, 2 MiB,
// plus the section's CID and length.
const maxCARBlock = 2<<20 + 1024

// maxPendingLinks bounds the links announced but not yet received: a
// balanced 1 TiB file has about a million leaves, its walk far fewer
// pending at once.
const maxPendingLinks = 1 << 20

var errCATMismatch = errors.New("the holder's answer does not match the CID")

// verifiedFile yields a file's bytes from a CAR stream, each block checked
// before its bytes are returned.
type verifiedFile struct {
	body    io.ReadCloser
	br      *carv2.BlockReader
	pending []pendingLink // a stack: the next expected block last
	buf     []byte        // verified bytes not yet read
	err     error
}

type pendingLink struct {
	c     cid.Cid
	depth int
}

// newVerifiedFile reads the CAR in body; want is the file's CID, or
// cid.Undef to take the CAR's root (a target the holder resolved).
func newVerifiedFile(body io.ReadCloser, want cid.Cid) (*verifiedFile, error) {
	br, err := carv2.NewBlockReader(body, carv2.WithTrustedCAR(false), carv2.MaxAllowedSectionSize(maxCARBlock))
	if err != nil {
		return nil, fmt.Errorf("cat: read CAR header: %w", err)
	}
	if br.Version != 1 || len(br.Roots) != 1 {
		return nil, fmt.Errorf("cat: CAR v%d with %d roots: %w", br.Version, len(br.Roots), errCATMismatch)
	}
	root := br.Roots[0]
	if want.Defined() && !root.Equals(want) {
		return nil, fmt.Errorf("cat: CAR of %s, asked for %s: %w", root, want, errCATMismatch)
	}
	return &verifiedFile{body: body, br: br, pending: []pendingLink{{c: root}}}, nil
}

func (v *verifiedFile) Read(p []byte) (int, error) {
	for len(v.buf) == 0 {
		if v.err != nil {
			return 0, v.err
		}
		v.err = v.next()
	}
	n := copy(p, v.buf)
	v.buf = v.buf[n:]
	return n, nil
}

// next takes the next block off the stream and makes its data readable;
// io.EOF once the file is complete and the stream ended with it.
func (v *verifiedFile) next() error {
	if len(v.pending) == 0 {
		if _, err := v.br.Next(); !errors.Is(err, io.EOF) {
			return fmt.Errorf("cat: blocks past the end of the file: %w", errCATMismatch)
		}
		return io.EOF
	}
	want := v.pending[len(v.pending)-1]
	v.pending = v.pending[:len(v.pending)-1]
	// Next hashes the block and refuses one whose bytes do not match the
	// CID it came with; the CID must then be the one the DAG links here.
	blk, err := v.br.Next()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("cat: stream ended before block %s: %w", want.c, io.ErrUnexpectedEOF)
	}
	if err != nil {
		return fmt.Errorf("cat: %w: %w", errCATMismatch, err)
	}
	if !blk.Cid().Equals(want.c) {
		return fmt.Errorf("cat: got block %s where %s belongs: %w", blk.Cid(), want.c, errCATMismatch)
	}
	switch want.c.Type() {
	case cid.Raw:
		v.buf = blk.RawData()
		return nil
	case cid.DagProtobuf:
		return v.expand(want, blk.RawData())
	default:
		return fmt.Errorf("cat: block %s: codec %#x: %w", want.c, want.c.Type(), node.ErrNotFile)
	}
}

// expand reads a UnixFS file node: its inline data is readable now, its
// children are expected next, in order.
func (v *verifiedFile) expand(at pendingLink, raw []byte) error {
	pn, err := merkledag.DecodeProtobuf(raw)
	if err != nil {
		return fmt.Errorf("cat: block %s: %w", at.c, err)
	}
	fsn, err := ft.FSNodeFromBytes(pn.Data())
	if err != nil {
		return fmt.Errorf("cat: block %s: %w", at.c, err)
	}
	if t := fsn.Type(); t != ft.TFile && t != ft.TRaw {
		return fmt.Errorf("cat: block %s is a %s: %w", at.c, t, node.ErrNotFile)
	}
	links := pn.Links()
	if len(links) > 0 && at.depth >= node.MaxFileDepth {
		return fmt.Errorf("cat: file deeper than %d levels", node.MaxFileDepth)
	}
	if len(v.pending)+len(links) > maxPendingLinks {
		return fmt.Errorf("cat: more than %d links pending", maxPendingLinks)
	}
	for i := len(links) - 1; i >= 0; i-- {
		v.pending = append(v.pending, pendingLink{c: links[i].Cid, depth: at.depth + 1})
	}
	v.buf = fsn.Data()
	return nil
}

func (v *verifiedFile) Close() error { return v.body.Close() }
