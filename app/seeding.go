package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/spf13/cobra"

	"github.com/ipfs-tube/ipfs-tube/app/internal/termsafe"
	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/library"
)

// seedingReport is what `ipfs-tube seeding` shows: the quota's state and
// every video kept on this machine, with why.
type seedingReport struct {
	Quota        int64  `json:"quota"`
	Used         int64  `json:"used"`
	Kept         int64  `json:"kept"`
	Cache        int64  `json:"cache"`
	CacheBudget  int64  `json:"cache_budget"`
	Free         int64  `json:"free"`
	Floor        int64  `json:"floor"`
	OverQuota    bool   `json:"over_quota"`
	FloorReached bool   `json:"floor_reached"`
	Message      string `json:"message,omitempty"`
	UploadLimit  int64  `json:"upload_limit"`
	Uploaded     int64  `json:"uploaded"`
	// DownloadLimit caps what seeding fetches (0: none); FetchedForSeeding
	// is what it fetched since the node started.
	DownloadLimit     int64 `json:"download_limit"`
	FetchedForSeeding int64 `json:"fetched_for_seeding"`
	// SeedHours is when the node seeds ("always", or "23:00-07:00");
	// Paused says seeding is paused now, OutsideHours that the hours are
	// why (a one-off command knows neither and reports not paused).
	SeedHours    string         `json:"seed_hours"`
	Paused       bool           `json:"paused"`
	OutsideHours bool           `json:"outside_hours"`
	Videos       []seedingVideo `json:"videos"`

	// SeedingError is why the holder's seeding engine stopped; empty
	// while it runs.
	SeedingError string `json:"seeding_error,omitempty"`
}

type seedingVideo struct {
	Cid        string `json:"cid"`
	Title      string `json:"title"`
	Reason     string `json:"reason"` // own, pinned, auto-seeded, cache
	Size       int64  `json:"size"`
	BytesLocal int64  `json:"bytes_local"`
	// Providers is how many other nodes the DHT knows for the video (up
	// to maxProviderCount), so a creator sees whether an upload is
	// replicated; -1 when unknown (offline node, lookup timed out).
	Providers   int   `json:"providers"`
	BytesServed int64 `json:"bytes_served"`
}

// Provider lookups for `seeding`: bounded, so the report stays quick.
const (
	maxProviderCount = 8
	providersTimeout = 3 * time.Second
)

func (c *cli) seedingCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "seeding",
		Short: "Show the storage quota, what it holds and why",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackend(false, func(ctx context.Context, b backend) error {
				rep, err := b.Seeding(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(c.stdout, rep)
				}
				fmt.Fprintf(c.stdout, "Quota %s: %s used (%s kept for own uploads and pins, %s cache, %s free on disk)\n",
					ui.Bytes(rep.Quota), ui.Bytes(rep.Used), ui.Bytes(rep.Kept), ui.Bytes(rep.Cache), ui.Bytes(rep.Free))
				fmt.Fprintln(c.stdout, seedingLimitsLine(rep))
				if rep.SeedingError != "" {
					fmt.Fprintln(c.stdout, safeLine("Seeding stopped: "+seedingStopReason(errors.New(rep.SeedingError))))
				}
				if rep.Message != "" {
					fmt.Fprintln(c.stdout, termsafe.Text(rep.Message))
				}
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CID\tREASON\tLOCAL\tSIZE\tPROVIDERS\tSERVED\tTITLE")
				for _, v := range rep.Videos {
					providers := "?"
					if v.Providers >= 0 {
						providers = strconv.Itoa(v.Providers)
					}
					// The title came from a peer's video.json.
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", safeLine(v.Cid), safeLine(v.Reason), ui.Bytes(v.BytesLocal), ui.Bytes(v.Size),
						providers, ui.Bytes(v.BytesServed), safeLine(v.Title))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// seedingLimitsLine says the caps, the hours and whether seeding runs, in
// one line: "Upload limit 2.0 MiB/s, seeding hours 23:00-07:00; seeding
// downloads unlimited, 1.0 GiB fetched for seeding", or "Seeding paused:
// outside the seeding hours 23:00-07:00; …".
func seedingLimitsLine(rep seedingReport) string {
	rate := func(r int64) string {
		if r <= 0 {
			return "unlimited"
		}
		return ui.Rate(float64(r))
	}
	upload := "Upload limit " + rate(rep.UploadLimit)
	switch {
	case rep.OutsideHours:
		upload = "Seeding paused: outside the seeding hours " + rep.SeedHours
	case rep.Paused:
		upload = "Seeding paused"
	case rep.SeedHours != "always":
		upload += ", seeding hours " + rep.SeedHours
	}
	return safeLine(fmt.Sprintf("%s; seeding downloads %s, %s fetched for seeding", upload, rate(rep.DownloadLimit), ui.Bytes(rep.FetchedForSeeding)))
}

// Seeding reports the quota and the kept videos. A backend that holds no
// catalog (a one-off command) opens the repo's for the answer.
func (b *localBackend) Seeding(ctx context.Context) (seedingReport, error) {
	cat := b.cat
	if cat == nil {
		var err error
		if cat, err = library.Open(ctx, catalogDir(b.n.RepoDir())); err != nil {
			return seedingReport{}, fmt.Errorf("seeding: %w", err)
		}
		defer cat.Close()
	}
	var st library.State
	var err error
	if b.keeper != nil {
		st, err = b.keeper.State(ctx)
	} else {
		st, err = library.ReadState(ctx, cat, nodelib.Store{N: b.n}, b.quota)
	}
	if err != nil {
		if b.seeding == nil || b.seeding.Failure() == nil {
			return seedingReport{}, fmt.Errorf("seeding: %w", err)
		}
		// What stopped the engine fails here too: say that, with what
		// is known, rather than nothing.
		st = library.State{Quota: b.keeper.Quota(), Message: "Storage use unknown: " + err.Error()}
	}
	rep := seedingReport{Quota: st.Quota, Used: st.Used, Kept: st.Kept, Cache: st.Cache, CacheBudget: st.CacheBudget,
		Free: st.Free, Floor: st.Floor, OverQuota: st.OverQuota, FloorReached: st.FloorReached, Message: st.Message,
		UploadLimit: b.n.UploadLimit(), Uploaded: b.n.BytesUploaded(), DownloadLimit: b.n.DownloadLimit(),
		FetchedForSeeding: b.n.BytesFetchedForSeeding(), SeedHours: "always", Videos: []seedingVideo{}}
	if b.seeding != nil {
		rep.SeedHours = b.seeding.Hours().String()
		rep.Paused, rep.OutsideHours = b.seeding.Paused()
		if err := b.seeding.Failure(); err != nil {
			rep.SeedingError = err.Error()
		}
	}
	page, err := cat.List(ctx, library.ListOptions{Sort: library.SortRecentlyAdded})
	if err != nil {
		return rep, fmt.Errorf("seeding: %w", err)
	}
	demand := b.n.Demand()
	// A published video's directory is pinned with it: its pin is the
	// video's, not one of its own.
	listed := map[string]bool{}
	for _, v := range page.Videos {
		if v.Dir.Defined() {
			listed[v.Dir.String()] = true
		}
		kept := v.Reason()
		if kept == library.ReasonNone {
			continue
		}
		reason := kept.String()
		rep.Videos = append(rep.Videos, seedingVideo{Cid: v.Cid.String(), Title: v.Title, Reason: reason, Size: v.Size,
			BytesLocal: v.BytesLocal, Providers: -1, BytesServed: demand[v.Cid].BytesSent})
	}
	// Pins the catalog does not know (made with `ipfs-tube add` or `pin
	// add`) are kept for others too.
	for _, v := range rep.Videos {
		listed[v.Cid] = true
	}
	pins, err := b.n.Pins(ctx)
	if err != nil {
		return rep, fmt.Errorf("seeding: %w", err)
	}
	for _, p := range pins {
		if p.Mode != "recursive" || listed[p.Cid.String()] {
			continue
		}
		ranges, _ := b.n.LocalRanges(ctx, p.Cid)
		local := rangesBytes(ranges)
		rep.Videos = append(rep.Videos, seedingVideo{Cid: p.Cid.String(), Reason: library.ReasonPinned.String(), Size: local,
			BytesLocal: local, Providers: -1, BytesServed: demand[p.Cid].BytesSent})
	}
	b.countProviders(ctx, rep.Videos)
	return rep, nil
}

// countProviders fills in the DHT's provider counts, all lookups at once
// and within providersTimeout; an offline node leaves them unknown.
func (b *localBackend) countProviders(ctx context.Context, videos []seedingVideo) {
	ctx, cancel := context.WithTimeout(ctx, providersTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for i := range videos {
		c, err := cid.Decode(videos[i].Cid)
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, err := b.n.CountProviders(ctx, c, maxProviderCount); err == nil || n > 0 {
				videos[i].Providers = n
			}
		}()
	}
	wg.Wait()
}

func (c *controlClient) Seeding(ctx context.Context) (seedingReport, error) {
	var rep seedingReport
	_, err := c.do(ctx, http.MethodGet, "seeding", nil, nil, &rep)
	return rep, err
}

// keepRepo opens the catalog of a long-running holder (daemon) and starts
// its seeding engine, as the window does, until ctx ends; stop stops the
// engine and closes the catalog. The engine runs without --auto-seed too,
// seeding nothing: it indexes what the node serves for demand and
// announces it, which is how volunteers learn what is watched.
func (c *cli) keepRepo(ctx context.Context, b *localBackend) (stop func() error, err error) {
	cat, err := library.Open(ctx, catalogDir(b.n.RepoDir()), library.WithLogger(c.log))
	if err != nil {
		return nil, fmt.Errorf("open the library: %w", err)
	}
	engine, err := c.startSeeding(ctx, b.n, cat, c.daemonChoice())
	if err != nil {
		return nil, errors.Join(err, cat.Close())
	}
	b.cat, b.keeper, b.seeding = cat, engine.Keeper(), engine
	return func() error { return errors.Join(engine.Close(), cat.Close()) }, nil
}
