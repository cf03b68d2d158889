package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	ft "github.com/ipfs/boxo/ipld/unixfs"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// PosterFile is the name of the poster image in a video directory.
const PosterFile = "poster.jpg"

// ErrBadName is returned by PublishVideo for a video file name that cannot
// be a directory entry.
var ErrBadName = errors.New("bad file name")

// PublishVideo builds the directory a shared link points at: the video file
// (already imported, file) under name, poster (a JPEG, or nil for none) as
// PosterFile and meta as MetadataFile. It pins the directory recursively,
// announces it and returns its CID. The file CID stays the video's
// identity; the directory only carries title and poster alongside it, so
// any IPFS client shows them.
//
// PublishVideo sets meta's Version, Video (name), Cid (file) and Poster
// itself. The same inputs always give the same directory CID: the JSON has
// a fixed field order and nothing time-dependent.
//
// The file must be complete in the local blockstore; it is never fetched
// from peers. On error nothing is pinned: blocks already written for the
// poster or the metadata go at the next GC.
func (n *Node) PublishVideo(ctx context.Context, file cid.Cid, name string, poster []byte, meta VideoMetadata) (cid.Cid, error) {
	dir, err := n.publishVideo(ctx, file, name, poster, meta)
	if err != nil {
		return cid.Undef, fmt.Errorf("publish video %q: %w", name, err)
	}
	n.log.Info("published video", "dir", dir, "file", file, "name", name)
	return dir, nil
}

func (n *Node) publishVideo(ctx context.Context, file cid.Cid, name string, poster []byte, meta VideoMetadata) (cid.Cid, error) {
	if !file.Defined() {
		return cid.Undef, errors.New("no file CID")
	}
	if err := checkEntryName(name); err != nil {
		return cid.Undef, err
	}
	if len(poster) > 0 && !bytes.HasPrefix(poster, []byte{0xff, 0xd8, 0xff}) {
		return cid.Undef, fmt.Errorf("poster is not a JPEG (starts % x)", poster[:min(len(poster), 4)])
	}
	meta.Version = MetadataVersion
	meta.Video = name
	meta.Cid = file.String()
	meta.Poster = ""
	if len(poster) > 0 {
		meta.Poster = PosterFile
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return cid.Undef, fmt.Errorf("%s: %w", MetadataFile, err)
	}
	// A trailing newline reads better under `ipfs cat`.
	metaJSON = append(metaJSON, '\n')
	if len(metaJSON) > maxMetadataSize {
		return cid.Undef, fmt.Errorf("%s would be %d bytes, more than readers accept (%d): shorten the description",
			MetadataFile, len(metaJSON), maxMetadataSize)
	}

	// From the first block written to the pin, GC must not run: the poster
	// and metadata blocks are unpinned until the directory pin lands.
	defer n.gcLocker.PinLock(ctx).Unlock(ctx)

	// Offline on purpose: publishing shares what this node has, and a file
	// that is not all here would be published with holes.
	dag := n.offlineDAG
	fileNode, err := dag.Get(ctx, file)
	if err != nil {
		if ipld.IsNotFound(err) {
			return cid.Undef, fmt.Errorf("file %s is not in the local store: import it first", file)
		}
		return cid.Undef, fmt.Errorf("file %s: %w", file, err)
	}
	kind, _, err := unixfsKind(fileNode)
	if err != nil {
		return cid.Undef, fmt.Errorf("file %s: %w", file, err)
	}
	if kind != ft.TFile && kind != ft.TRaw {
		return cid.Undef, fmt.Errorf("%s is a UnixFS %s: %w", file, kind, ErrNotFile)
	}
	if err := n.checkComplete(ctx, file); err != nil {
		return cid.Undef, err
	}

	entries := map[string]cid.Cid{name: file}
	storeFile := func(data []byte) (cid.Cid, error) {
		cfg := importConfig{total: int64(len(data)), chunkSize: ChunkSize, maxLinks: MaxLinks}
		res, err := importFile(ctx, bytes.NewReader(data), n.blockstore, cfg)
		return res.Cid, err
	}
	if entries[MetadataFile], err = storeFile(metaJSON); err != nil {
		return cid.Undef, fmt.Errorf("store %s: %w", MetadataFile, err)
	}
	if len(poster) > 0 {
		if entries[PosterFile], err = storeFile(poster); err != nil {
			return cid.Undef, fmt.Errorf("store %s: %w", PosterFile, err)
		}
	}

	d, err := uio.NewBasicDirectory(dag)
	if err != nil {
		return cid.Undef, err
	}
	d.SetCidBuilder(dagPBPrefix)
	for entry, c := range entries {
		nd, err := dag.Get(ctx, c)
		if err != nil {
			return cid.Undef, fmt.Errorf("%s: %w", entry, err)
		}
		if err := d.AddChild(ctx, entry, nd); err != nil {
			return cid.Undef, fmt.Errorf("add %s: %w", entry, err)
		}
	}
	root, err := d.GetNode()
	if err != nil {
		return cid.Undef, fmt.Errorf("build directory: %w", err)
	}
	if err := dag.Add(ctx, root); err != nil {
		return cid.Undef, fmt.Errorf("store directory: %w", err)
	}
	if err := n.pinRecursive(ctx, root.Cid()); err != nil {
		return cid.Undef, err
	}
	return root.Cid(), nil
}

// checkEntryName refuses names that are not a single, ordinary directory
// entry or that would collide with the directory's other files.
func checkEntryName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty name: %w", ErrBadName)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("%q holds a slash or NUL: %w", name, ErrBadName)
	case name == "." || name == "..":
		return fmt.Errorf("%q: %w", name, ErrBadName)
	case strings.EqualFold(name, MetadataFile) || strings.EqualFold(name, PosterFile):
		return fmt.Errorf("%q is reserved for the directory's own files: %w", name, ErrBadName)
	case !utf8.ValidString(name):
		return fmt.Errorf("%q is not UTF-8: %w", name, ErrBadName)
	case len(name) > 255:
		return fmt.Errorf("%d bytes long, more than file systems take (255): %w", len(name), ErrBadName)
	}
	return nil
}

// checkComplete makes sure every block of the file is stored locally.
// Raw leaves are only looked up, not read, so a large file costs one read
// per MiB-level internal node. Each block is visited once, however often
// it is linked (a file from a peer may link one node many times), and the
// walk is under the walk bounds.
func (n *Node) checkComplete(ctx context.Context, c cid.Cid) error {
	ctx, release := boundWalk(ctx)
	defer release()
	var missing int
	var first cid.Cid
	seen := cid.NewSet()
	var walk func(c cid.Cid) error
	walk = func(c cid.Cid) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !seen.Visit(c) {
			return nil
		}
		if c.Type() == cid.Raw {
			has, err := n.blockstore.Has(ctx, c)
			if err != nil {
				return err
			}
			if !has {
				if missing == 0 {
					first = c
				}
				missing++
			}
			return nil
		}
		nd, err := n.offlineDAG.Get(ctx, c)
		if ipld.IsNotFound(err) {
			if missing == 0 {
				first = c
			}
			missing++
			return nil
		}
		if err != nil {
			return err
		}
		for _, l := range nd.Links() {
			if err := walk(l.Cid); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(c); err != nil {
		return fmt.Errorf("file %s: %w", c, walkError(ctx, err))
	}
	if missing > 0 {
		return fmt.Errorf("file %s is incomplete locally (%d blocks missing, first %s): fetch or import it first", c, missing, first)
	}
	return nil
}
