package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/password"
)

// adminFlags are shared by the commands that open the database.
type adminFlags struct {
	config, db string
	create     bool // the command may create a missing database (user/invite create)
}

func (a *adminFlags) define(fs *flagSet) {
	fs.str(&a.config, "config", "NTC_CONFIG", "", "read NTC_DB from this KEY=VALUE `FILE`")
	fs.str(&a.db, "db", "NTC_DB", DefaultDB, "SQLite database `PATH`")
}

// open opens the database a live server may be using (WAL and
// busy_timeout make that safe).
func (a *adminFlags) open(ctx context.Context) (*db.DB, error) {
	if _, err := os.Stat(a.db); err != nil && !a.create {
		return nil, fmt.Errorf("database %s: %w (check --db / NTC_DB)", a.db, err)
	}
	return db.Open(ctx, a.db, db.Options{ReadConns: 2})
}

const userUsage = `Usage: notechondria-auth user <subcommand> [flags]

  create        create an active (verified) account and print its id
  list          list accounts
  set-password  set a password (revokes the account's sessions)
  deactivate    disable sign-in (revokes the account's sessions)
  activate      enable sign-in again

Run "notechondria-auth user <subcommand> --help" for flags.`

// isHelp reports whether args ask for a command group's help.
func isHelp(args []string) bool {
	return len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "-help" || args[0] == "help")
}

func userCmd(ctx context.Context, env Env, args []string) error {
	if isHelp(args) {
		fmt.Fprintln(env.Stdout, userUsage)
		return nil
	}
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, userUsage)
		return errUsage{errors.New("user: want create, list, set-password, deactivate or activate")}
	}
	var a adminFlags
	switch args[0] {
	case "create":
		a.create = true
		var username, email, pw string
		var staff, super bool
		fs := newFlagSet("user create", "Create an active (verified) account and print its id.", env.Stdout)
		a.define(fs)
		fs.str(&username, "username", "", "", "user name (letters, digits, _ and -; 3-150)")
		fs.str(&email, "email", "", "", "email address")
		fs.secret(&pw, "password", "NTC_USER_PASSWORD", "password (8+ characters, upper, lower and a digit or symbol)")
		fs.boolean(&staff, "staff", "", false, "mark as staff")
		fs.boolean(&super, "superuser", "", false, "mark as superuser")
		if err := usageError(fs.parse(args[1:], env.Getenv)); err != nil {
			return err
		}
		return createUser(ctx, env, &a, username, strings.ToLower(email), pw, staff, super)
	case "list":
		fs := newFlagSet("user list", "List accounts.", env.Stdout)
		a.define(fs)
		if err := usageError(fs.parse(args[1:], env.Getenv)); err != nil {
			return err
		}
		store, err := a.open(ctx)
		if err != nil {
			return err
		}
		defer store.Close()
		users, err := store.ListUsers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tACTIVE\tSTAFF\tSUPERUSER")
		for _, u := range users {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%v\t%v\n", u.ID, u.Username, u.Email, u.IsActive, u.IsStaff, u.IsSuperuser)
		}
		return tw.Flush()
	case "set-password", "deactivate", "activate":
		var who, pw string
		what := map[string]string{
			"set-password": "Set an account's password; its sessions are revoked.",
			"deactivate":   "Disable sign-in for an account; its sessions are revoked.",
			"activate":     "Enable sign-in for an account again.",
		}[args[0]]
		fs := newFlagSet("user "+args[0], what, env.Stdout)
		a.define(fs)
		fs.str(&who, "user", "", "", "username or email of the account")
		if args[0] == "set-password" {
			fs.secret(&pw, "password", "NTC_USER_PASSWORD", "the new password")
		}
		if err := usageError(fs.parse(args[1:], env.Getenv)); err != nil {
			return err
		}
		return changeUser(ctx, env, &a, args[0], who, pw)
	}
	return errUsage{fmt.Errorf("user: unknown subcommand %q", args[0])}
}

func createUser(ctx context.Context, env Env, a *adminFlags, username, email, pw string, staff, super bool) error {
	switch {
	case username == "" || email == "" || pw == "":
		return errUsage{errors.New("user create: --username, --email and --password are required")}
	case !app.ValidUsername(username):
		return errUsage{fmt.Errorf("user create: username %q must be 3-150 letters, digits, _ or -", username)}
	case len([]rune(pw)) < 8 || !password.MeetsPolicy(pw):
		return errUsage{errors.New("user create: the password needs 8+ characters with an uppercase and a lowercase letter and a digit or symbol")}
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if inUse, err := store.EmailInUse(ctx, email, 0); err != nil {
		return err
	} else if inUse {
		return fmt.Errorf("user create: an account with email %s already exists", email)
	}
	hash, err := password.New(1, password.WithRand(rand.Reader)).Hash(ctx, pw)
	if err != nil {
		return err
	}
	u := app.NewUser(username, email, time.Now())
	u.Password, u.IsActive, u.IsStaff, u.IsSuperuser = hash, true, staff, super
	if err := store.CreateUser(ctx, u); app.ErrorCode(err) == app.ECONFLICT {
		return fmt.Errorf("user create: username %q is already taken", username)
	} else if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, u.ID)
	return nil
}

func findUser(ctx context.Context, store *db.DB, who string) (*app.User, error) {
	u, err := store.UserByEmail(ctx, who)
	if app.ErrorCode(err) == app.ENOTFOUND {
		u, err = store.UserByUsername(ctx, who)
	}
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, fmt.Errorf("no account with username or email %q", who)
	}
	return u, err
}

func changeUser(ctx context.Context, env Env, a *adminFlags, action, who, pw string) error {
	if who == "" {
		return errUsage{fmt.Errorf("user %s: --user is required", action)}
	}
	if action == "set-password" && (len([]rune(pw)) < 8 || !password.MeetsPolicy(pw)) {
		return errUsage{errors.New("user set-password: the password needs 8+ characters with an uppercase and a lowercase letter and a digit or symbol")}
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
	var revoked []string
	switch action {
	case "set-password":
		hash, herr := password.New(1).Hash(ctx, pw)
		if herr != nil {
			return herr
		}
		revoked, err = store.SetPassword(ctx, u.ID, hash, true, 0, time.Now())
	case "deactivate":
		revoked, err = store.SetActive(ctx, u.ID, false, time.Now())
	case "activate":
		revoked, err = store.SetActive(ctx, u.ID, true, time.Now())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %s done; %d session(s) revoked\n", u.Username, action, len(revoked))
	return nil
}

func inviteCmd(ctx context.Context, env Env, args []string) error {
	if isHelp(args) {
		fmt.Fprintln(env.Stdout, "Usage: notechondria-auth invite create --code C [--max-uses N] [--expires DUR] [--label L]")
		return nil
	}
	if len(args) == 0 || args[0] != "create" {
		return errUsage{errors.New("invite: want create")}
	}
	a := adminFlags{create: true}
	var code, label string
	var uses int
	var expires time.Duration
	fs := newFlagSet("invite create", "Create an invitation code. While any invitation exists, registration requires one.", env.Stdout)
	a.define(fs)
	fs.secret(&code, "code", "", "the invitation code people will type")
	fs.integer(&uses, "max-uses", "", 1, "how many registrations it admits")
	fs.duration(&expires, "expires", "", 0, "lifetime (0: never expires)")
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
	return nil
}

func sessionsCmd(ctx context.Context, env Env, args []string) error {
	if isHelp(args) {
		fmt.Fprintln(env.Stdout, "Usage: notechondria-auth sessions list --user U | revoke --user U | revoke --all")
		return nil
	}
	if len(args) == 0 || (args[0] != "list" && args[0] != "revoke") {
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
