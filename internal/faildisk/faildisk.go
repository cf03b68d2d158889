// Package faildisk is a store whose disk-use reads fail, for tests of what
// a broken disk does to seeding: a disk whose reads fail cannot be had on
// a test machine (the tests run as root, which reads everything). It is
// the one fake part of those tests; everything behind it is real.
//
//	keeper, err := library.NewKeeper(ctx, cat, faildisk.Store{Store: nodelib.Store{N: n}})
package faildisk

import (
	"context"
	"errors"

	"github.com/ipfs-tube/ipfs-tube/library"
)

// ErrIO is what the broken disk answers.
var ErrIO = errors.New("input/output error")

// Store is a library.Store whose DiskUsage fails with ErrIO; the rest
// goes to the store it wraps.
type Store struct{ library.Store }

func (Store) DiskUsage(context.Context) (int64, error) { return 0, ErrIO }
