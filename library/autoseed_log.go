package library

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ipfs/go-cid"
)

// logRound logs the round's one line saying what it decided and why:
// "seeding X (score 1.4, 1 provider)", "swapping Y for X …", or
// "nothing: best score 0.2 below 0.5" and the like, so a volunteer that
// seeds nothing says why. At info level while auto-seeding is on; at
// debug level while it is off or private, where every node's engine
// would otherwise say so every minute. Callers hold roundMu.
func (a *AutoSeeder) logRound(ctx context.Context, rep RoundReport, scores []VideoScore, seeding bool, err error) {
	level := slog.LevelDebug
	if seeding {
		level = slog.LevelInfo
	}
	attrs := []any{"decision", a.roundDecision(ctx, rep, scores), "announced", rep.Announced}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	// Not the round's context: a round cut short by shutdown still says so.
	a.log.Log(context.Background(), level, "auto-seed round", attrs...)
}

// roundDecision words what the round did, or why it did nothing.
func (a *AutoSeeder) roundDecision(ctx context.Context, rep RoundReport, scores []VideoScore) string {
	byCid := make(map[cid.Cid]VideoScore, len(scores))
	for _, s := range scores {
		byCid[s.Cid] = s
	}
	var did []string
	switch {
	case rep.Swapped && len(rep.Fetched) > 0:
		did = append(did, fmt.Sprintf("swapping %s for %s", cidList(rep.Dropped), describeScore(byCid, rep.Fetched[0])))
		for _, c := range rep.Fetched[1:] {
			did = append(did, "seeding "+describeScore(byCid, c))
		}
	default:
		if len(rep.Dropped) > 0 {
			did = append(did, "dropping "+cidList(rep.Dropped)+": over the quota")
		}
		for _, c := range rep.Fetched {
			did = append(did, "seeding "+describeScore(byCid, c))
		}
	}
	if len(rep.Resumed) > 0 {
		did = append(did, "resuming "+cidList(rep.Resumed))
	}
	if len(rep.Demoted) > 0 {
		did = append(did, fmt.Sprintf("handing %d videos to the cache", len(rep.Demoted)))
	}
	if len(did) > 0 {
		if rep.Message != "" {
			did = append(did, rep.Message)
		}
		return strings.Join(did, "; ")
	}
	return "nothing: " + a.whyNothing(ctx, rep, scores)
}

// whyNothing says why a round fetched and dropped nothing.
func (a *AutoSeeder) whyNothing(ctx context.Context, rep RoundReport, scores []VideoScore) string {
	switch {
	case a.private.Load():
		return "private mode"
	case !a.enabled.Load():
		return "auto-seeding is off"
	case rep.Message != "":
		return rep.Message
	}
	var best *VideoScore
	for i, s := range scores {
		// Scores are sorted best first; what is held already is no news.
		if s.Kept&(OwnUpload|Pinned|AutoSeeded) == 0 && s.Heat > 0 {
			best = &scores[i]
			break
		}
	}
	switch {
	case best == nil:
		return "no demand heard"
	case !best.Candidate:
		return fmt.Sprintf("best score %.3g below %.3g (%s, %s)", best.Score, a.cfg.minScore, best.Cid, providersText(best.Providers))
	case best.Size <= 0:
		return fmt.Sprintf("size of %s not known yet", describeScore(nil, best.Cid, *best))
	}
	if t, ok := a.failed[best.Cid]; ok && rep.At.Before(t) {
		return fmt.Sprintf("fetching %s failed, trying again after %s", describeScore(nil, best.Cid, *best), t.Format("15:04:05"))
	}
	if ctx.Err() == nil && a.pinnedElsewhere(ctx, best.Cid) {
		return fmt.Sprintf("%s is pinned by the user outside the catalog", describeScore(nil, best.Cid, *best))
	}
	if rep.At.Sub(a.lastSwap) < a.cfg.minKeep {
		return fmt.Sprintf("%s does not fit the quota, and the last swap was less than %v ago", describeScore(nil, best.Cid, *best), a.cfg.minKeep)
	}
	return fmt.Sprintf("%s does not fit the quota, and seeded videos kept %v that it beats %.3g× do not make room",
		describeScore(nil, best.Cid, *best), a.cfg.minKeep, a.cfg.hysteresis)
}

// describeScore is "CID (score 1.4, 1 provider)", from s when given, else
// from byCid.
func describeScore(byCid map[cid.Cid]VideoScore, c cid.Cid, s ...VideoScore) string {
	v := byCid[c]
	if len(s) > 0 {
		v = s[0]
	}
	return fmt.Sprintf("%s (score %.3g, %s)", c, v.Score, providersText(v.Providers))
}

func providersText(n int) string {
	switch {
	case n == 1:
		return "1 provider"
	case n >= 0:
		return fmt.Sprintf("%d providers", n)
	}
	return "providers unknown"
}

func cidList(cs []cid.Cid) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return strings.Join(out, ", ")
}
