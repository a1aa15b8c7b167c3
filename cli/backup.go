package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

func backupCmd(ctx context.Context, env Env, args []string) error {
	var a adminFlags
	var to string
	fs := newFlagSet("backup", "Write a consistent copy of the database (VACUUM INTO) while the server runs.", env.Stdout)
	a.define(fs)
	fs.str(&to, "to", "", "", "target `FILE` (must not exist)")
	if err := usageError(fs.parse(args, env.Getenv)); err != nil {
		return err
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
