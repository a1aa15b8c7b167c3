package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"notechondria-auth/db"
)

// pgBackupAdvice is backup's answer for a PostgreSQL --db.
const pgBackupAdvice = `backup: --db is a PostgreSQL database, and backup copies SQLite files only: use pg_dump, e.g. pg_dump --format=custom --file=auth-$(date +%F).dump 'postgres://...' (restore with pg_restore; see docs/OPERATIONS.md)`

func backupCmd(ctx context.Context, env Env, args []string) error {
	var a adminFlags
	var to string
	fs := newFlagSet("backup", "Write a consistent copy of the SQLite database (VACUUM INTO) while the server runs.\nOn PostgreSQL use pg_dump instead (docs/OPERATIONS.md).", env.Stdout)
	a.define(fs)
	fs.str(&to, "to", "", "", "target `FILE` (must not exist)")
	if err := usageError(fs.parse(args, env.Getenv)); err != nil {
		return err
	}
	if db.IsPostgres(a.db) {
		// Refused before connecting: nothing to migrate or wait for. The
		// URL is not repeated (it may hold a password).
		return errors.New(pgBackupAdvice)
	}
	if to == "" {
		return errUsage{errors.New("backup: --to is required")}
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if dir := filepath.Dir(to); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("backup: target directory: %w", err)
		}
	}
	if err := store.Backup(ctx, to); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(env.Stdout, "backup written to %s\n", to)
	return nil
}
