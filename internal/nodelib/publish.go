package nodelib

import (
	"context"
	"io"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/library/publish"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// Publish is the node as the publishing service sees it.
type Publish struct{ N *node.Node }

var _ publish.Node = Publish{}

// Import imports r pinned. An import whose context ended is refused before
// its pin is taken, however far it got: a given-up add is no success.
func (p Publish) Import(ctx context.Context, r io.Reader, size int64, progress func(done, total int64)) (cid.Cid, int64, error) {
	opts := []node.ImportOption{
		node.ImportProgress(progress),
		node.ImportAccept(func(node.ImportResult) error { return ctx.Err() }),
	}
	if size >= 0 {
		opts = append(opts, node.ImportSize(size))
	}
	res, err := p.N.Import(ctx, r, opts...)
	return res.Cid, res.Size, diskFull(err)
}

func (p Publish) PublishVideo(ctx context.Context, file cid.Cid, name string, poster []byte, meta publish.Metadata) (cid.Cid, error) {
	return p.N.PublishVideo(ctx, file, name, poster, node.VideoMetadata{
		Title: meta.Title, Description: meta.Description, DurationS: meta.DurationS,
		Width: meta.Width, Height: meta.Height, MIME: meta.MIME,
	})
}

func (p Publish) ResolveVideo(ctx context.Context, dir cid.Cid) (publish.Published, error) {
	v, err := p.N.ResolveVideo(ctx, dir)
	if err != nil {
		return publish.Published{}, err
	}
	pub := publish.Published{File: v.Cid, Name: v.Name, Poster: v.Poster}
	if m := v.Metadata; m != nil {
		pub.Metadata = &publish.Metadata{
			Title: m.Title, Description: m.Description, DurationS: m.DurationS,
			Width: m.Width, Height: m.Height, MIME: m.MIME,
		}
	}
	return pub, nil
}

func (p Publish) ReadAll(ctx context.Context, c cid.Cid, max int64) ([]byte, error) {
	return p.N.ReadAll(ctx, c, max)
}

// Pins lists every pin, recursive or direct: a rollback must not undo
// either kind it did not add.
func (p Publish) Pins(ctx context.Context) ([]cid.Cid, error) {
	pins, err := p.N.Pins(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]cid.Cid, len(pins))
	for i, pi := range pins {
		out[i] = pi.Cid
	}
	return out, nil
}

func (p Publish) Unpin(ctx context.Context, c cid.Cid) error { return p.N.Unpin(ctx, c) }
