package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"notechondria-auth/app"
	"notechondria-auth/db"
)

const migrateUsage = `Copy every table of one database into another, empty one: a SQLite file
into PostgreSQL, PostgreSQL into a SQLite file (or between two of a kind).
Stop the server first: what it writes after the copy began is not copied.

The copy is one transaction on the target. Each table is then read back and
compared with the source (row count, and a SHA-256 checksum of the rows in
key order, whose first 16 hex digits are printed) before the commit, so a
copy that fails or does not match writes nothing. Ids, their counters and the
IP-hash key move with the rows. The change log does not: the new server starts
with empty caches, and the target's change counter continues from the
source's. A target holding any row is refused. Both databases are first
migrated to this binary's schema (a missing --to file, or an empty PostgreSQL
database, gets the schema then).

Example:
  notechondria-auth migrate-store --from /var/lib/notechondria-auth/auth.db \
      --to postgres://ntc@db.internal/notechondria_auth`

func migrateCmd(ctx context.Context, env Env, args []string) error {
	var from, to string
	var dryRun bool
	f := newFlagSet("migrate-store", migrateUsage, env.Stdout)
	f.str(&from, "from", "", "", "the source: a SQLite file `PATH` or a postgres:// URL (must exist)")
	f.str(&to, "to", "", "", "the target: a SQLite file `PATH` (created when missing) or a postgres:// URL of an existing database; it must hold no data")
	f.boolean(&dryRun, "dry-run", "", false, "copy and verify as usual, then roll the target back: prints the same table, writes nothing")
	if err := usageError(f.parse(args, env.Getenv)); err != nil {
		return err
	}
	switch {
	case from == "" || to == "":
		return errUsage{errors.New("migrate-store: --from and --to are both required")}
	case from == to:
		return errUsage{errors.New("migrate-store: --from and --to name the same database")}
	}
	if !db.IsPostgres(from) {
		if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("migrate-store: source %s: no such file: check --from", from)
		}
	}
	src, err := openDB(ctx, from, false, db.Options{ReadConns: 2})
	if err != nil {
		return fmt.Errorf("migrate-store: source: %w", forFlag(err, "--from"))
	}
	defer src.Close()
	created := false
	if !db.IsPostgres(to) {
		_, err := os.Stat(to)
		created = errors.Is(err, fs.ErrNotExist)
	}
	dst, err := openDB(ctx, to, true, db.Options{ReadConns: 2})
	if err != nil {
		return fmt.Errorf("migrate-store: target: %w", forFlag(err, "--to"))
	}
	rep, err := db.Copy(ctx, src, dst, db.CopyOptions{DryRun: dryRun})
	if rep != nil && len(rep.Tables) > 0 {
		printCopy(env.Stdout, rep)
	}
	if err != nil || dryRun {
		dst.Close()
		if created { // the file this command made holds nothing: take it away again
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(to + suffix)
			}
		}
	} else if err = dst.Close(); err != nil {
		return fmt.Errorf("migrate-store: close the target: %w", err)
	}
	if err != nil {
		return copyFailed(err, dst.Path())
	}
	if dryRun {
		fmt.Fprintf(env.Stdout, "dry run: %d tables copied into %s and verified, then rolled back: nothing was written\n", len(rep.Tables), dst.Path())
		return nil
	}
	fmt.Fprintf(env.Stdout, "%d tables copied from %s into %s and verified.\n", len(rep.Tables), src.Path(), dst.Path())
	fmt.Fprintf(env.Stdout, "The change log was not copied; the target's change counter continues from %d.\n", rep.LastChange)
	return nil
}

// printCopy writes one line per table: rows, checksum, verdict.
func printCopy(w io.Writer, rep *db.CopyReport) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tCHECKSUM\tOK")
	for _, t := range rep.Tables {
		verdict := "ok"
		if !t.OK {
			verdict = fmt.Sprintf("MISMATCH (target: %d rows, checksum %.16s)", t.TargetRows, t.TargetChecksum)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.16s\t%s\n", t.Table, t.Rows, t.Checksum, verdict)
	}
	tw.Flush()
}

// copyFailed is Copy's error with what it means for the target.
func copyFailed(err error, target string) error {
	msg := strings.TrimPrefix(err.Error(), "db: ")
	var ae *app.Error
	if errors.As(err, &ae) {
		msg = ae.Message
	}
	switch app.ErrorCode(err) {
	case app.ECONFLICT:
		return fmt.Errorf("migrate-store: %s: %s: migrate-store fills an empty database only: give --to a new file, or a new PostgreSQL database (createdb)", target, msg)
	case app.EINVALID:
		return fmt.Errorf("migrate-store: %s", msg)
	}
	if !strings.Contains(msg, "nothing was written") {
		msg += ": the copy was rolled back, nothing was written"
	}
	return fmt.Errorf("migrate-store: %s: %s", target, msg)
}

// forFlag rewrites openDB's advice about --db / NTC_DB for the flag that
// named the database here.
func forFlag(err error, flag string) error {
	return errors.New(strings.ReplaceAll(err.Error(), "--db / NTC_DB", flag))
}
