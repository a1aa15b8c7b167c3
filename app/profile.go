package app

import (
	"context"
	"encoding/json"
)

// Profile is a snapshot of a user's whole row (UserByID) with what is
// derived from it on every read (the effective app settings), cached by the
// core for the read paths that every front end calls (the probe, GET
// settings/). Shared and never modified: a caller that changes the user
// reads its own copy with Store.UserByID. Every write that changes a user
// drops it (the coherent store, the change log).
type Profile struct {
	User        *User
	AppSettings json.RawMessage
}

// profileCache holds Profiles by user id.
type profileCache struct {
	*guardedLRU[int64, *Profile]
}

func newProfileCache(size int, p *cachePolicy) *profileCache {
	return &profileCache{newGuardedLRU[int64, *Profile](size, p)}
}

// Profile returns the user's cached profile, reading the row on a miss.
// Errors: ENOTFOUND, the store's.
func (c *Core) Profile(ctx context.Context, userID int64) (*Profile, error) {
	if p, ok := c.profiles.get(userID); ok {
		return p, nil
	}
	gen := c.profiles.generation()
	u, err := c.raw.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	p := &Profile{User: u, AppSettings: u.AppSettings()}
	c.profiles.add(userID, p, gen)
	return p, nil
}
