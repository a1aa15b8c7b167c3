// Package djimport moves the accounts of a Notechondria 0.1.65 Django
// backend (PostgreSQL) into notechondria-auth: users with their Django
// password hashes (verified as they are and upgraded to argon2id at each
// user's next sign-in), their Creator profile and settings, live sessions
// (the plaintext keys hashed on the way in, so signed-in devices stay
// signed in), API key hashes, invitation codes and social accounts.
//
// It reads the Django tables of CONTRACT section 2 with database/sql and the
// pgx driver inside one read-only REPEATABLE READ transaction (a consistent
// snapshot, while Django may still be running) and writes only through
// app.Store methods, so the target may be any engine. A re-run imports
// nothing twice and never changes a row it finds already there; a dry run
// makes the same report and writes nothing.
//
// It imports app, the standard library and pgx; cli is its only caller.
package djimport

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"notechondria-auth/app"
)

// The original's session lifetimes (SESSION_IDLE_TIMEOUT and
// SESSION_ABSOLUTE_TIMEOUT in creators/models.py): only sessions alive
// under them at import time are imported.
const (
	DjangoIdleTimeout     = 24 * time.Hour
	DjangoAbsoluteTimeout = 72 * time.Hour
)

// Options tune an import.
type Options struct {
	// DryRun reads everything and writes nothing; the report counts what a
	// real run would import.
	DryRun bool
	// Now judges which sessions and codes are live (nil: time.Now).
	Now func() time.Time
	// MediaURL is Django's MEDIA_URL: a Creator's image path is stored as
	// MediaURL + path, which the API makes absolute when it is not already
	// ("": "/media/").
	MediaURL string
}

// DefaultMediaURL is Django's usual MEDIA_URL.
const DefaultMediaURL = "/media/"

// Import copies the source's rows into target and reports what it did. On
// an error it returns the report so far with the error; what was written
// stays written, and a re-run carries on from there. Errors: the source's
// read errors, the target store's errors (app.Error codes of app.Store).
func (s *Source) Import(ctx context.Context, target app.Store, o Options) (*Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MediaURL == "" {
		o.MediaURL = DefaultMediaURL
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read the Django database %s: %w", s.desc, err)
	}
	defer tx.Rollback()
	im := &importer{
		src: tx, dst: target, o: o, now: o.Now().UTC(), rep: newReport(o.DryRun),
		users:     map[int64]*mapped{},
		keys:      map[string]int64{},
		linked:    map[linkKey]bool{},
		targets:   newTargetIndex(),
		passwords: map[string]int{},
	}
	im.rep.Source = s.desc
	for _, step := range []func(context.Context) error{im.importUsers, im.importAPIKeys,
		im.importSessions, im.importSocial, im.importInvitations, im.countCodes} {
		if err := step(ctx); err != nil {
			return im.rep, err
		}
	}
	im.notes()
	return im.rep, nil
}

// importer is the state of one import.
type importer struct {
	src *sql.Tx
	dst app.Store
	o   Options
	now time.Time
	rep *Report

	djUsers []*djUser
	// users maps Django user ids to the target accounts they became (or
	// already were); skipped users are absent.
	users map[int64]*mapped
	// keys are the API key hashes given out in this run (hash: target id).
	keys map[string]int64
	// linked are the (user, provider) links made in this run.
	linked  map[linkKey]bool
	targets *targetIndex

	pending, disabled, ipDropped int
	passwords                    map[string]int
}

// mapped is the target account of a Django user.
type mapped struct {
	id     int64 // the Django id, which the import keeps
	active bool  // can sign in on the target
	hasKey bool  // has an API key on the target already
}

type linkKey struct {
	user     int64
	provider string
}

// write runs fn unless this is a dry run.
func (im *importer) write(fn func() error) error {
	if im.o.DryRun {
		return nil
	}
	return fn()
}
