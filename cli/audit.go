package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"notechondria-auth/app"
)

const auditUsage = `Print an account's security log (issue 15), newest first: sign-ins and
failed attempts, second steps, revocations and credential changes.`

// auditCmd is "audit --user U [--since 7d] [--type T] [--limit N]".
func auditCmd(ctx context.Context, env Env, args []string) error {
	var a adminFlags
	var who, since, typ string
	var limit int
	fs := newFlagSet("audit", auditUsage, env.Stdout)
	a.define(fs)
	fs.str(&who, "user", "", "", "username or email (required)")
	fs.str(&since, "since", "", "", "only events of the last `DURATION` (e.g. 7d, 12h); empty: all")
	fs.str(&typ, "type", "", "", "only events of this `TYPE` (e.g. login.failed)")
	fs.integer(&limit, "limit", "", 200, "at most this many events")
	if err := usageError(fs.parse(args, env.Getenv)); err != nil {
		return err
	}
	if who == "" {
		return errUsage{errors.New("audit: --user is required")}
	}
	if typ != "" && !slices.Contains(app.EventTypes, typ) {
		return errUsage{fmt.Errorf("audit: unknown --type %q (one of %v)", typ, app.EventTypes)}
	}
	if limit <= 0 {
		return errUsage{errors.New("audit: --limit must be positive")}
	}
	q := app.EventQuery{Type: typ, Limit: limit}
	if since != "" {
		d, err := parseDays(since)
		if err != nil || d <= 0 {
			return errUsage{fmt.Errorf("audit: --since %q: want a positive duration such as 7d or 12h", since)}
		}
		q.Since = time.Now().Add(-d)
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := findUser(ctx, store, who)
	if err != nil {
		return err
	}
	q.UserID = u.ID
	list, err := store.SecurityEvents(ctx, q)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tTYPE\tDEVICE\tIP HASH\tSESSION\tDETAIL")
	for _, ev := range list {
		detail, _ := json.Marshal(ev.Detail)
		session := "-"
		if ev.SessionID != 0 {
			session = fmt.Sprint(ev.SessionID)
		}
		device := ev.DeviceLabel
		if device == "" {
			device = "-"
		}
		prefix := ev.IPHashPrefix
		if prefix == "" {
			prefix = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.At.Format(time.RFC3339), ev.Type, device, prefix, session, detail)
	}
	return tw.Flush()
}
