package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"notechondria-auth/app"
)

func sessionsCmd(ctx context.Context, env Env, args []string) error {
	if isHelp(args) {
		fmt.Fprintln(env.Stdout, sessionsUsage)
		return nil
	}
	if len(args) == 0 || (args[0] != "list" && args[0] != "revoke") {
		fmt.Fprintln(env.Stderr, sessionsUsage)
		return errUsage{errors.New("sessions: want list or revoke")}
	}
	var a adminFlags
	var who string
	var all bool
	var idle, absolute time.Duration
	fs := newFlagSet("sessions "+args[0], "List or revoke sessions of one account (--user), or revoke all (--all).", env.Stdout)
	a.define(fs)
	fs.str(&who, "user", "", "", "username or email")
	if args[0] == "list" {
		d := app.DefaultConfig().Timeouts
		fs.duration(&idle, "session-idle-timeout", "NTC_SESSION_IDLE_TIMEOUT", d.Idle, "the server's idle timeout (to leave out expired sessions)")
		fs.duration(&absolute, "session-absolute-timeout", "NTC_SESSION_ABSOLUTE_TIMEOUT", d.Absolute, "the server's absolute timeout")
	}
	if args[0] == "revoke" {
		fs.boolean(&all, "all", "", false, "revoke every session of every account")
	}
	if err := usageError(fs.parse(args[1:], env.Getenv)); err != nil {
		return err
	}
	if (who == "") == !all || (all && who != "") {
		if args[0] == "list" && who == "" {
			return errUsage{errors.New("sessions list: --user is required")}
		}
		if args[0] == "revoke" {
			return errUsage{errors.New("sessions revoke: give exactly one of --user or --all")}
		}
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	now := time.Now()
	// Every revocation is a session.revoked event (cause admin) in its
	// own transaction.
	ctx = app.WithAudit(ctx, adminAudit(now))
	if all {
		n, err := store.RevokeAllSessions(ctx, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%d session(s) revoked\n", n)
		return nil
	}
	u, err := findUser(ctx, store, who)
	if err != nil {
		return err
	}
	if args[0] == "revoke" {
		hashes, err := store.RevokeUserSessions(ctx, u.ID, 0, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%d session(s) revoked\n", len(hashes))
		return nil
	}
	idleAfter, created := app.Timeouts{Idle: idle, Absolute: absolute}.Cutoffs(now)
	list, err := store.ListSessions(ctx, u.ID, idleAfter, created)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDEVICE\tCREATED\tLAST SEEN")
	for _, s := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.ID, s.DeviceLabel, s.CreatedAt.Format(time.RFC3339), s.LastSeenAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

// adminAudit is the audit of an admin command: no client, revocations are
// cause "admin", event ids from crypto/rand.
func adminAudit(now time.Time) *app.Audit {
	a := app.NewAudit(rand.Reader, now, app.Actor{DeviceLabel: "Admin command"})
	a.Cause = app.CauseAdmin
	return a
}
