package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/password"
)

// passwordHelp is the --password flag's help: it works, but the value is
// seen by ps and kept in the shell history.
const passwordHelp = "; lands in your shell history and in ps: prefer NTC_USER_PASSWORD, standard input or the prompt (see above)"

// passwordSources is the usage paragraph of the commands that take a
// password.
const passwordSources = `The password is taken from --password, else from NTC_USER_PASSWORD, else
read from standard input: prompted for (twice, not echoed) on a terminal,
else the first line of the pipe or file, e.g.
  read -rs NTC_USER_PASSWORD && export NTC_USER_PASSWORD
  printf '%s\n' "$PW" | notechondria-auth user ...`

// emailMaxLen is the API's bound on an email address (characters).
const emailMaxLen = 254

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
		fs := newFlagSet("user create", "Create an active (verified) account and print its id.\n\n"+passwordSources, env.Stdout)
		a.define(fs)
		fs.str(&username, "username", "", "", "user name (letters, digits, _ and -; 3-150)")
		fs.str(&email, "email", "", "", "email address (stored in lower case)")
		fs.secret(&pw, "password", "NTC_USER_PASSWORD", "password (8+ characters, upper, lower and a digit or symbol)"+passwordHelp)
		fs.boolean(&staff, "staff", "", false, "mark as staff")
		fs.boolean(&super, "superuser", "", false, "mark as superuser")
		if err := usageError(fs.parse(args[1:], env.Getenv)); err != nil {
			return err
		}
		return createUser(ctx, env, &a, username, email, pw, staff, super)
	case "list":
		fs := newFlagSet("user list", "List accounts.", env.Stdout)
		a.define(fs)
		if err := usageError(fs.parse(args[1:], env.Getenv)); err != nil {
			return err
		}
		return listUsers(ctx, env, &a)
	case "set-password", "deactivate", "activate":
		var who, pw string
		what := map[string]string{
			"set-password": "Set an account's password; its sessions are revoked.\n\n" + passwordSources,
			"deactivate":   "Disable sign-in for an account; its sessions are revoked.",
			"activate":     "Enable sign-in for an account again.",
		}[args[0]]
		fs := newFlagSet("user "+args[0], what, env.Stdout)
		a.define(fs)
		fs.str(&who, "user", "", "", "username or email of the account")
		if args[0] == "set-password" {
			fs.secret(&pw, "password", "NTC_USER_PASSWORD", "the new password"+passwordHelp)
		}
		if err := usageError(fs.parse(args[1:], env.Getenv)); err != nil {
			return err
		}
		return changeUser(ctx, env, &a, args[0], who, pw)
	}
	fmt.Fprintln(env.Stderr, userUsage)
	return errUsage{fmt.Errorf("user: unknown subcommand %q", args[0])}
}

// checkNewUser applies the API's registration rules (api/register.go):
// both fields trimmed, the username by app.ValidUsername, the email by
// app.ValidEmail and its 254-character bound, then lower-cased.
func checkNewUser(username, email string) (string, string, error) {
	username, email = strings.TrimSpace(username), strings.TrimSpace(email)
	switch {
	case username == "" || email == "":
		return "", "", errors.New("user create: --username and --email are required")
	case !app.ValidUsername(username):
		return "", "", fmt.Errorf("user create: --username %q is not a valid user name: use 3-150 letters, digits, _ or -", username)
	case utf8.RuneCountInString(email) > emailMaxLen || !app.ValidEmail(email):
		return "", "", fmt.Errorf("user create: --email %q is not a valid email address", email)
	}
	return username, strings.ToLower(email), nil
}

// checkPassword applies the API's password policy.
func checkPassword(cmd, pw string) error {
	if utf8.RuneCountInString(pw) < 8 || !password.MeetsPolicy(pw) {
		return fmt.Errorf("%s: the password needs 8+ characters with an uppercase and a lowercase letter and a digit or symbol", cmd)
	}
	return nil
}

func createUser(ctx context.Context, env Env, a *adminFlags, username, email, pw string, staff, super bool) error {
	username, email, err := checkNewUser(username, email)
	if err != nil {
		return errUsage{err}
	}
	if pw, err = obtainPassword(ctx, env, "user create", pw); err != nil {
		return err
	}
	if err := checkPassword("user create", pw); err != nil {
		return errUsage{err}
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
	if pub := strings.TrimRight(env.Getenv("NTC_PUBLIC_URL"), "/"); pub != "" {
		u.APIBaseURL = pub + "/api/v1" // as the server gives accounts it creates
	}
	if err := store.CreateUser(ctx, u); app.ErrorCode(err) == app.ECONFLICT {
		return fmt.Errorf("user create: username %q is already taken", username)
	} else if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, u.ID)
	return nil
}

func listUsers(ctx context.Context, env Env, a *adminFlags) error {
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
	if action == "set-password" {
		var err error
		if pw, err = obtainPassword(ctx, env, "user set-password", pw); err != nil {
			return err
		}
		if err := checkPassword("user set-password", pw); err != nil {
			return errUsage{err}
		}
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
	audit := adminAudit(time.Now())
	ctx = app.WithAudit(ctx, audit)
	switch action {
	case "set-password":
		hash, herr := password.New(1).Hash(ctx, pw)
		if herr != nil {
			return herr
		}
		audit.Add(u.ID, app.EventPasswordChanged, map[string]any{"by": "admin"})
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
