package library

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/ipfs/go-cid"
	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Sort orders List and Search results.
type Sort int

const (
	// SortDefault is SortRecentlyWatched for List and SortRelevance for
	// Search.
	SortDefault Sort = iota
	// SortRecentlyWatched: last watched first; never-watched videos after
	// the watched ones, newest added first.
	SortRecentlyWatched
	// SortRecentlyAdded: newest added first.
	SortRecentlyAdded
	// SortTitle: by title, ignoring case and accents; untitled last.
	SortTitle
	// SortRelevance: best Search match first (title before description,
	// whole words before parts), then as SortRecentlyWatched. In List it
	// is SortRecentlyWatched.
	SortRelevance
)

// ListOptions filter and page List and Search. The zero value lists
// everything, recently watched first.
type ListOptions struct {
	Sort Sort
	// Kept keeps only videos kept for at least one of these reasons; zero
	// keeps all.
	Kept KeepReason
	// Watched keeps only videos watched at least once (the history view).
	Watched bool
	// Offset skips that many results; Limit caps them (zero: no cap).
	Offset, Limit int
}

func (o ListOptions) validate() error {
	if o.Sort < SortDefault || o.Sort > SortRelevance {
		return fmt.Errorf("%w: unknown sort %d", ErrInvalid, o.Sort)
	}
	if err := o.Kept.validate(); err != nil {
		return err
	}
	if o.Offset < 0 || o.Limit < 0 {
		return fmt.Errorf("%w: negative offset %d or limit %d", ErrInvalid, o.Offset, o.Limit)
	}
	return nil
}

// Page is one page of results.
type Page struct {
	Videos []Video
	// Total is how many videos matched before Offset and Limit.
	Total int
	// Skipped are the records that could not be read, whether or not they
	// would have matched; the GUI can offer to delete them.
	Skipped []*RecordError
}

// List returns the catalog's videos, filtered, sorted and paged by opts.
// Unreadable records do not fail it: they are left out and reported in
// Page.Skipped (and logged once). It scans the whole catalog, which is
// cheap at desktop sizes (see the package doc).
func (c *Catalog) List(ctx context.Context, opts ListOptions) (Page, error) {
	p, err := c.query(ctx, nil, opts, SortRecentlyWatched)
	if err != nil {
		return Page{}, fmt.Errorf("library.List: %w", err)
	}
	return p, nil
}

// Search returns the videos whose title or description contains every
// word of query, ignoring case, accents and Unicode normalization form
// ("CAFE" finds "Café", "straße" finds "STRASSE"), each word as a
// substring, so text without spaces (Chinese, Japanese) matches too. An
// empty query matches everything. Filters, paging and skipped records are
// as in List.
func (c *Catalog) Search(ctx context.Context, query string, opts ListOptions) (Page, error) {
	terms := strings.Fields(fold(query))
	if terms == nil {
		terms = []string{}
	}
	p, err := c.query(ctx, terms, opts, SortRelevance)
	if err != nil {
		return Page{}, fmt.Errorf("library.Search %q: %w", query, err)
	}
	return p, nil
}

type hit struct {
	v          Video
	score      int
	titleKey   string
	cidOrdered string
}

// query scans all records; terms nil means no text filter.
func (c *Catalog) query(ctx context.Context, terms []string, opts ListOptions, defaultSort Sort) (Page, error) {
	if err := opts.validate(); err != nil {
		return Page{}, err
	}
	leave, err := c.enter(ctx)
	if err != nil {
		return Page{}, err
	}
	defer leave()
	var (
		hits    []hit
		skipped []*RecordError
	)
	err = c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: videoPrefix, PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			key := item.KeyCopy(nil)
			_, id, cerr := cid.CidFromBytes(key[len(videoPrefix):])
			var v Video
			err := item.Value(func(b []byte) error {
				if cerr != nil {
					return fmt.Errorf("key: %w", cerr)
				}
				var derr error
				v, derr = decodeVideo(id, b)
				return derr
			})
			if err != nil {
				re := &RecordError{Key: key, Err: err}
				if cerr == nil {
					re.Cid = id
				}
				skipped = append(skipped, re)
				c.reportCorrupt(re)
				continue
			}
			if opts.Kept != 0 && v.Kept&opts.Kept == 0 {
				continue
			}
			if opts.Watched && v.WatchCount == 0 {
				continue
			}
			h := hit{v: v}
			if terms != nil {
				var ok bool
				if h.score, ok = relevance(terms, v); !ok {
					continue
				}
			}
			hits = append(hits, h)
		}
		return nil
	})
	if err != nil {
		return Page{}, err
	}
	sortBy := opts.Sort
	if sortBy == SortDefault || (sortBy == SortRelevance && terms == nil) {
		sortBy = defaultSort
	}
	sortHits(hits, sortBy)
	p := Page{Total: len(hits), Skipped: skipped}
	hits = hits[min(opts.Offset, len(hits)):]
	if opts.Limit > 0 && len(hits) > opts.Limit {
		hits = hits[:opts.Limit]
	}
	p.Videos = make([]Video, len(hits))
	for i, h := range hits {
		p.Videos[i] = h.v
	}
	return p, nil
}

// reportCorrupt logs each unreadable record once per Catalog, not on every
// List a GUI makes.
func (c *Catalog) reportCorrupt(re *RecordError) {
	c.reportedMu.Lock()
	first := !c.reported[string(re.Key)]
	c.reported[string(re.Key)] = true
	c.reportedMu.Unlock()
	if first {
		c.log.Warn("skipping unreadable catalog record", "key", fmt.Sprintf("%x", re.Key), "cid", cidString(re.Cid), "err", re.Err)
	}
}

func sortHits(hits []hit, by Sort) {
	for i := range hits {
		hits[i].cidOrdered = string(hits[i].v.Cid.Bytes())
		if by == SortTitle {
			hits[i].titleKey = fold(hits[i].v.Title)
		}
	}
	recentlyWatched := func(a, b hit) int {
		if c := b.v.LastWatched.Compare(a.v.LastWatched); c != 0 {
			return c // zero times sort last
		}
		return b.v.Added.Compare(a.v.Added)
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		var c int
		switch by {
		case SortRecentlyWatched:
			c = recentlyWatched(a, b)
		case SortRecentlyAdded:
			c = b.v.Added.Compare(a.v.Added)
		case SortTitle:
			if (a.titleKey == "") != (b.titleKey == "") {
				if a.titleKey == "" {
					return 1
				}
				return -1
			}
			c = cmp.Or(strings.Compare(a.titleKey, b.titleKey), strings.Compare(a.v.Title, b.v.Title))
		case SortRelevance:
			c = cmp.Or(cmp.Compare(b.score, a.score), recentlyWatched(a, b))
		}
		return cmp.Or(c, strings.Compare(a.cidOrdered, b.cidOrdered))
	})
}

// relevance scores v against every term (all must match): a whole title
// word 4, the start of a title word 3, elsewhere in the title 2, in the
// description 1.
func relevance(terms []string, v Video) (int, bool) {
	if len(terms) == 0 {
		return 0, true
	}
	title, desc := fold(v.Title), fold(v.Description)
	words := strings.FieldsFunc(title, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	total := 0
	for _, t := range terms {
		score := 0
		switch {
		case slices.Contains(words, t):
			score = 4
		case slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, t) }):
			score = 3
		case strings.Contains(title, t):
			score = 2
		case strings.Contains(desc, t):
			score = 1
		default:
			return 0, false
		}
		total += score
	}
	return total, true
}

// fold maps s to a form where case, accents and Unicode normalization do
// not matter: compatibility decomposition (ﬁ → fi, full-width → ASCII),
// combining marks dropped (é → e), full case folding (ß → ss), recomposed.
// Dropping marks is deliberately loose; both sides of a comparison go
// through it, so matches only get broader.
func fold(s string) string {
	if isPlainASCII(s) {
		return strings.ToLower(s)
	}
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), cases.Fold(), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		// Only invalid UTF-8 gets here, which validate keeps out of
		// records; fall back to simple lower-casing for a query.
		return strings.ToLower(s)
	}
	return out
}

// isPlainASCII: for ASCII, fold is plain lower-casing, and most titles
// are ASCII.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
