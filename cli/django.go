package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"notechondria-auth/db"
	"notechondria-auth/djimport"
)

const importDjangoUsage = `Import the accounts of a Notechondria 0.1.65 Django backend (PostgreSQL)
into this server's database, and print a report: per table the rows read,
imported and skipped, with the reasons.

What comes over: users with their Django password hashes (they keep
working and become argon2id at each user's next sign-in), the Creator
profile and app settings, the live sessions (their keys are stored
hashed, so every signed-in device stays signed in), API key hashes,
social accounts and invitation codes. Verification codes do not: they
live a day, and users ask for a new one.

Run it again at any time: rows already imported are skipped, never
changed, and what is new in Django since comes over. Stop Django (or
its writes) before the last run, then start serve on the target.
--dry-run reads everything, prints the same report and writes nothing:
an existing target is read through a snapshot, a missing one is not
created.

The Django database is read in one read-only transaction. --from takes a
postgres:// URL or key=value settings; the PG* environment variables
(PGPASSWORD, PGSSLMODE, ...) fill in what it leaves out, as for psql.`

func importDjangoCmd(ctx context.Context, env Env, args []string) error {
	a := adminFlags{create: true}
	var from, media string
	var dryRun bool
	fs := newFlagSet("import-django", importDjangoUsage, env.Stdout)
	a.define(fs)
	fs.secret(&from, "from", "NTC_DJANGO_DB", "the Django `DATABASE`: postgres://USER[:PASSWORD]@HOST[:PORT]/NAME (prefer PGPASSWORD for the password)")
	fs.boolean(&dryRun, "dry-run", "", false, "read everything and print the report; write nothing")
	fs.str(&media, "media-url", "NTC_DJANGO_MEDIA_URL", djimport.DefaultMediaURL,
		"Django's MEDIA_URL: a profile image is stored as this `URL` + its path (an absolute URL if the media live elsewhere)")
	if err := usageError(fs.parse(args, env.Getenv)); err != nil {
		return err
	}
	if strings.TrimSpace(from) == "" {
		return errUsage{errors.New("import-django: --from (or NTC_DJANGO_DB) is required: the Django database's postgres:// URL")}
	}
	// The source first: a wrong --from must not create the target.
	src, err := djimport.Open(ctx, from)
	if err != nil {
		return fmt.Errorf("import-django: %w", err)
	}
	defer src.Close()
	store, done, err := openImportTarget(ctx, &a, dryRun)
	if err != nil {
		return err
	}
	defer done()
	rep, err := src.Import(ctx, store, djimport.Options{DryRun: dryRun, MediaURL: media})
	if rep != nil {
		rep.Target = a.db
		if werr := rep.Write(env.Stdout); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		if dryRun {
			return fmt.Errorf("import-django: %w", err)
		}
		return fmt.Errorf("import-django: %w (what was imported stays; run the command again to carry on)", err)
	}
	return nil
}

// openImportTarget opens the database to import into. A real run opens
// (and creates, when missing) --db like the other admin commands. A dry
// run leaves --db untouched: it reads a snapshot of an existing database
// (taken read-only with VACUUM INTO, so not even a pending migration is
// applied to it), or an empty database in place of a missing one.
//
// On PostgreSQL a dry run reads the target itself (the import skips every
// write in a dry run; opening applies pending schema migrations, as any
// command does).
func openImportTarget(ctx context.Context, a *adminFlags, dryRun bool) (*db.DB, func(), error) {
	if !dryRun || db.IsPostgres(a.db) {
		store, err := a.open(ctx)
		if err != nil {
			return nil, nil, err
		}
		return store, func() { store.Close() }, nil
	}
	tmp, err := os.MkdirTemp("", "ntc-import-dry-run-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	snap := filepath.Join(tmp, "target.db")
	switch _, err := os.Stat(a.db); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		cleanup()
		return nil, nil, openError{path: a.db, err: err, hint: dbHint(err)}
	default:
		if err := snapshot(ctx, a.db, snap); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	store, err := db.Open(ctx, snap, db.Options{ReadConns: 2})
	if err != nil {
		cleanup()
		return nil, nil, openError{path: a.db, err: err, hint: dbHint(err)}
	}
	return store, func() { store.Close(); cleanup() }, nil
}

// snapshot copies the database at path into to through a read-only
// connection.
func snapshot(ctx context.Context, path, to string) error {
	if err := checkDBFile(path, false); err != nil {
		return err
	}
	conn, err := readOnly(path)
	if err != nil {
		return openError{path: path, err: err, hint: dbHint(err)}
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, to); err != nil {
		return openError{path: path, err: err, hint: dbHint(err)}
	}
	return nil
}
