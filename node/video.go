package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ipfs/boxo/ipld/merkledag"
	ft "github.com/ipfs/boxo/ipld/unixfs"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	ufspb "github.com/ipfs/boxo/ipld/unixfs/pb"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// MetadataFile is the name of the metadata file in a video directory.
const MetadataFile = "video.json"

// MetadataVersion is the metadata format this program writes and reads.
const MetadataVersion = 1

// maxMetadataSize bounds what is read of a metadata file: it holds a few
// short strings, and a directory from a stranger must not make us read a
// gigabyte into memory.
const maxMetadataSize = 64 << 10

// ErrNoVideo is returned when a directory holds no video file.
var ErrNoVideo = errors.New("no video file")

// ErrBadMetadata is returned when a directory's metadata file cannot be
// used: malformed, from a newer program, or naming a file that is not there.
var ErrBadMetadata = errors.New("bad video metadata")

// VideoMetadata is the content of MetadataFile, as JSON:
//
//	{"version":1,"title":"…","description":"…","video":"talk.mp4","cid":"bafy…",
//	 "poster":"poster.jpg","duration_s":1234.5,"width":1920,"height":1080,"mime":"video/mp4"}
//
// Video and Poster are entry names in the same directory (no slashes). Cid
// is the video file's CID, the video's identity everywhere; when given it
// must be the CID of the entry Video names.
type VideoMetadata struct {
	Version     int     `json:"version"`
	Title       string  `json:"title,omitempty"`
	Description string  `json:"description,omitempty"`
	Video       string  `json:"video"`
	Cid         string  `json:"cid,omitempty"`
	Poster      string  `json:"poster,omitempty"`
	DurationS   float64 `json:"duration_s,omitempty"`
	Width       int     `json:"width,omitempty"`
	Height      int     `json:"height,omitempty"`
	MIME        string  `json:"mime,omitempty"`
}

// Video is what a CID plays: a file, possibly chosen from a directory.
type Video struct {
	// Cid is the video file's CID.
	Cid cid.Cid
	// Name is the file's name in its directory; empty for a bare file CID.
	Name string
	// Size is the file's length in bytes.
	Size int64
	// Dir is the directory the video was chosen from; cid.Undef for a bare
	// file CID.
	Dir cid.Cid
	// Metadata is the directory's metadata file, nil when there is none.
	Metadata *VideoMetadata
	// Poster is the poster image named by the metadata, cid.Undef when
	// there is none or the directory lacks it (a missing poster does not
	// stop playback).
	Poster cid.Cid
}

// Duration is the metadata's duration, 0 when unknown.
func (v Video) Duration() time.Duration {
	if v.Metadata == nil || v.Metadata.DurationS <= 0 {
		return 0
	}
	return time.Duration(v.Metadata.DurationS * float64(time.Second))
}

// maxBitrate bounds Bitrate (1 Tbit/s), whatever size and duration claim.
const maxBitrate = 1 << 40

// Bitrate is the average bit rate in bits per second, 0 when the duration
// is unknown.
func (v Video) Bitrate() int64 {
	d := v.Duration()
	if d <= 0 || v.Size <= 0 {
		return 0
	}
	// In floats, bounded: a root block may claim any size and the
	// metadata any duration.
	return int64(min(float64(v.Size)*8/d.Seconds(), maxBitrate))
}

// videoExtensions are the file name extensions taken for videos when a
// directory has no metadata.
var videoExtensions = map[string]bool{
	".mp4": true, ".m4v": true, ".mkv": true, ".webm": true, ".mov": true, ".avi": true,
	".ogv": true, ".ts": true, ".m2ts": true, ".mts": true, ".mpg": true, ".mpeg": true,
	".wmv": true, ".flv": true, ".3gp": true,
}

// isVideoName says whether a file name has a video extension.
func isVideoName(name string) bool {
	return videoExtensions[strings.ToLower(path.Ext(name))]
}

// ResolveVideo says which file c plays. A file CID is itself. A directory
// (HAMT-sharded ones too) plays the file its MetadataFile names, else its
// only video file, else its largest video file (videos are recognised by
// extension). A directory without any video gives ErrNoVideo; unusable
// metadata gives ErrBadMetadata. Blocks come from peers when not local.
// It is one walk: past MaxWalkBlocks block reads or MaxDirEntries entries
// it fails with ErrDAGTooLarge.
func (n *Node) ResolveVideo(ctx context.Context, c cid.Cid) (Video, error) {
	ctx, release := boundWalk(ctx)
	defer release()
	dag := n.dagService()
	nd, err := dag.Get(ctx, c)
	if err != nil {
		return Video{}, fmt.Errorf("resolve video %s: %w", c, walkError(ctx, err))
	}
	v, err := resolveVideoNode(ctx, dag, nd)
	if err != nil {
		return Video{}, fmt.Errorf("resolve video %s: %w", c, walkError(ctx, err))
	}
	return v, nil
}

// resolveVideoNode is ResolveVideo once the root node is at hand.
func resolveVideoNode(ctx context.Context, dag ipld.DAGService, nd ipld.Node) (Video, error) {
	kind, size, err := unixfsKind(nd)
	if err != nil {
		return Video{}, err
	}
	switch kind {
	case ft.TFile, ft.TRaw:
		return Video{Cid: nd.Cid(), Size: size}, nil
	case ft.TDirectory, ft.THAMTShard:
		return videoInDirectory(ctx, dag, nd)
	default:
		return Video{}, fmt.Errorf("unixfs %s: %w", kind, ErrNoVideo)
	}
}

// unixfsKind tells files from directories; size is a file's length.
func unixfsKind(nd ipld.Node) (ufspb.Data_DataType, int64, error) {
	if nd.Cid().Type() == cid.Raw {
		return ft.TRaw, int64(len(nd.RawData())), nil
	}
	pn, ok := nd.(*merkledag.ProtoNode)
	if !ok {
		return 0, 0, fmt.Errorf("codec %#x is not UnixFS: %w", nd.Cid().Type(), ErrNoVideo)
	}
	fsn, err := ft.FSNodeFromBytes(pn.Data())
	if err != nil {
		return 0, 0, fmt.Errorf("not UnixFS: %w", err)
	}
	switch fsn.Type() {
	case ft.TFile, ft.TRaw:
		// Check what a File will see, not only the node's filesize field:
		// its block sizes are what reading goes by.
		_, size, err := decodeFileNode(nd)
		if err != nil {
			return 0, 0, err
		}
		return fsn.Type(), size, nil
	}
	return fsn.Type(), 0, nil
}

// videoInDirectory picks the video of dirNode; ctx must carry a walk
// budget (boundWalk).
func videoInDirectory(ctx context.Context, dag ipld.DAGService, dirNode ipld.Node) (Video, error) {
	entries := map[string]*ipld.Link{}
	err := listDirectory(ctx, dag, dirNode, func(l *ipld.Link) error {
		entries[l.Name] = l
		return nil
	})
	if err != nil {
		return Video{}, err
	}

	var chosen *ipld.Link
	var meta *VideoMetadata
	if ml, ok := entries[MetadataFile]; ok {
		meta, err = readMetadata(ctx, dag, ml.Cid)
		if err != nil {
			return Video{}, err
		}
		chosen = entries[meta.Video]
		if chosen == nil {
			return Video{}, fmt.Errorf("%s names video %q, which the directory does not hold: %w", MetadataFile, meta.Video, ErrBadMetadata)
		}
		if meta.Cid != "" && meta.Cid != chosen.Cid.String() {
			return Video{}, fmt.Errorf("%s says %q is %s, but the directory holds %s: %w", MetadataFile, meta.Video, meta.Cid, chosen.Cid, ErrBadMetadata)
		}
	} else {
		chosen, err = likeliestVideo(entries)
		if err != nil {
			return Video{}, err
		}
	}

	fileNode, err := dag.Get(ctx, chosen.Cid)
	if err != nil {
		return Video{}, fmt.Errorf("video %q: %w", chosen.Name, err)
	}
	kind, size, err := unixfsKind(fileNode)
	if err != nil {
		return Video{}, fmt.Errorf("video %q: %w", chosen.Name, err)
	}
	if kind != ft.TFile && kind != ft.TRaw {
		err := fmt.Errorf("video %q is a %s, not a file: %w", chosen.Name, kind, ErrNotFile)
		if meta != nil {
			err = fmt.Errorf("%w (%w)", err, ErrBadMetadata)
		}
		return Video{}, err
	}
	v := Video{Cid: chosen.Cid, Name: chosen.Name, Size: size, Dir: dirNode.Cid(), Metadata: meta}
	if meta != nil && meta.Poster != "" {
		if pl, ok := entries[meta.Poster]; ok {
			v.Poster = pl.Cid
		}
	}
	return v, nil
}

// likeliestVideo picks the only video entry, else the largest one (by
// the link's cumulative size, which for a file is its length plus a few
// bytes per MiB), ties broken by name so the choice is stable.
func likeliestVideo(entries map[string]*ipld.Link) (*ipld.Link, error) {
	var videos []*ipld.Link
	for name, l := range entries {
		if isVideoName(name) {
			videos = append(videos, l)
		}
	}
	if len(videos) == 0 {
		return nil, ErrNoVideo
	}
	slices.SortFunc(videos, func(a, b *ipld.Link) int {
		if a.Size != b.Size {
			if a.Size > b.Size {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return videos[0], nil
}

func readMetadata(ctx context.Context, dag ipld.DAGService, c cid.Cid) (*VideoMetadata, error) {
	nd, err := dag.Get(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", MetadataFile, err)
	}
	r, err := uio.NewDagReader(ctx, nd, dag)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (%w)", MetadataFile, err, ErrBadMetadata)
	}
	if r.Size() > maxMetadataSize {
		return nil, fmt.Errorf("%s is %d bytes, more than %d: %w", MetadataFile, r.Size(), maxMetadataSize, ErrBadMetadata)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxMetadataSize))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", MetadataFile, err)
	}
	return decodeMetadata(data)
}

// maxMetadataDuration bounds duration_s: far longer than any video, and
// far from where seconds stop fitting a time.Duration (292 years).
const maxMetadataDuration = 1e9

// decodeMetadata parses and checks a metadata file's content. Data from
// a stranger's directory: everything the node uses must hold here.
func decodeMetadata(data []byte) (*VideoMetadata, error) {
	var m VideoMetadata
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w (%w)", MetadataFile, err, ErrBadMetadata)
	}
	switch {
	case m.Version == 0:
		return nil, fmt.Errorf("%s has no version: %w", MetadataFile, ErrBadMetadata)
	case m.Version < 0:
		return nil, fmt.Errorf("%s is version %d, not a version: %w", MetadataFile, m.Version, ErrBadMetadata)
	case m.Version > MetadataVersion:
		return nil, fmt.Errorf("%s is version %d, newer than this program's %d: %w", MetadataFile, m.Version, MetadataVersion, ErrBadMetadata)
	case !isEntryName(m.Video):
		return nil, fmt.Errorf("%s names video %q, not a file name: %w", MetadataFile, m.Video, ErrBadMetadata)
	case m.Poster != "" && !isEntryName(m.Poster):
		return nil, fmt.Errorf("%s names poster %q, not a file name: %w", MetadataFile, m.Poster, ErrBadMetadata)
	case m.DurationS < 0 || m.DurationS > maxMetadataDuration:
		return nil, fmt.Errorf("%s gives a duration of %g s, outside [0, %g]: %w", MetadataFile, m.DurationS, float64(maxMetadataDuration), ErrBadMetadata)
	case m.Width < 0 || m.Height < 0:
		return nil, fmt.Errorf("%s gives a size of %dx%d: %w", MetadataFile, m.Width, m.Height, ErrBadMetadata)
	}
	if m.MIME != "" {
		if _, _, err := mime.ParseMediaType(m.MIME); err != nil {
			return nil, fmt.Errorf("%s gives MIME type %q: %w (%w)", MetadataFile, m.MIME, err, ErrBadMetadata)
		}
	}
	return &m, nil
}

// isEntryName says whether s can name an entry of a directory.
func isEntryName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.Contains(s, "/")
}
