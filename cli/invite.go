package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"notechondria-auth/app"
)

func inviteCmd(ctx context.Context, env Env, args []string) error {
	if isHelp(args) {
		fmt.Fprintln(env.Stdout, inviteUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(env.Stderr, inviteUsage)
		return errUsage{errors.New("invite: want create")}
	}
	a := adminFlags{create: true}
	var code, label string
	var uses int
	var expires time.Duration
	fs := newFlagSet("invite create", `Create an invitation code and print its id.

While any invitation exists (a used-up or expired one too), registration
requires a valid invitation code: the first invitation closes self-service
sign-up to everybody without one.`, env.Stdout)
	a.define(fs)
	fs.secret(&code, "code", "", "the invitation code people will type")
	fs.integer(&uses, "max-uses", "", 1, "how many registrations it admits")
	fs.duration(&expires, "expires", "", 0, "lifetime, e.g. 168h (0: never expires)")
	fs.str(&label, "label", "", "", "a note for admins")
	if err := usageError(fs.parse(args[1:], env.Getenv)); err != nil {
		return err
	}
	if strings.TrimSpace(code) == "" || uses < 1 || expires < 0 {
		return errUsage{errors.New("invite create: --code is required, --max-uses must be at least 1")}
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	now := time.Now()
	inv := &app.Invitation{CodeHash: app.CodeHash(code), Label: label, MaxUses: uses, CreatedAt: now}
	if expires > 0 {
		t := now.Add(expires)
		inv.ExpireAt = &t
	}
	if err := store.CreateInvitation(ctx, inv); app.ErrorCode(err) == app.ECONFLICT {
		return errors.New("invite create: this code already exists")
	} else if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, inv.ID)
	// The note goes to stderr: stdout stays the id alone, for scripts.
	count := ""
	if n, err := countInvitations(ctx, a.db); err == nil {
		count = fmt.Sprintf(" (this instance has %d invitation(s))", n)
	}
	fmt.Fprintf(env.Stderr, "note: registration now requires an invitation code%s; used-up and expired invitations keep it so\n", count)
	return nil
}
