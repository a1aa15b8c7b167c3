package cli

import (
	"context"
	"strings"
	"testing"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/password"
)

// user create applies the API's rules to --username and --email
// (app.ValidUsername, app.ValidEmail, trimmed, the email lower-cased).
func TestUserCreate_ValidatesLikeTheAPI(t *testing.T) {
	long := strings.Repeat("a", 250) + "@example.com" // 262 characters
	for _, c := range []struct {
		name, username, email string
		want                  string // error substring; "" for success
	}{
		{"bad email", "bob", "bad", `user create: --email "bad" is not a valid email address`},
		{"no dot in the domain", "bob", "bob@localhost", `--email "bob@localhost" is not a valid email address`},
		{"space", "bob", "bob smith@example.com", `is not a valid email address`},
		{"two at signs", "bob", "bob@@example.com", `is not a valid email address`},
		{"angle brackets", "bob", "<bob@example.com>", `is not a valid email address`},
		{"too long", "bob", long, `is not a valid email address`},
		{"short username", "bo", "bob@example.com", `user create: --username "bo" is not a valid user name`},
		{"space in username", "bob smith", "bob@example.com", `is not a valid user name`},
		{"non-ASCII username", "bøb", "bob@example.com", `is not a valid user name`},
		{"long username", strings.Repeat("b", 151), "bob@example.com", `is not a valid user name`},
		{"missing email", "bob", "", `--username and --email are required`},
		{"valid", "bob", "bob@example.com", ""},
		{"trimmed and lower-cased", "  carol_-1 ", "  Carol@Example.COM ", ""},
		{"address literal", "dave", "dave@[192.0.2.1]", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := newDB(t)
			r := run(t, "user", "create", "--db", path, "--username", c.username, "--email", c.email, "--password", "Strong1pw")
			if c.want != "" {
				if r.code != 2 || !strings.Contains(r.msg(), c.want) {
					t.Fatalf("exit %d, error %q, want %q", r.code, r.msg(), c.want)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("exit %d: %v", r.code, r.err)
			}
			email := strings.ToLower(strings.TrimSpace(c.email))
			if !app.ValidEmail(strings.TrimSpace(c.email)) || !app.ValidUsername(strings.TrimSpace(c.username)) {
				t.Fatal("the table's valid row is not valid for package app")
			}
			u := userByEmail(t, path, email)
			if u.Username != strings.TrimSpace(c.username) || u.Email != email {
				t.Fatalf("stored %q %q", u.Username, u.Email)
			}
		})
	}
}

func userByEmail(t *testing.T, path, email string) *app.User {
	t.Helper()
	store, err := db.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("%s: %v", email, err)
	}
	return u
}

// The password comes from --password, else NTC_USER_PASSWORD, else the
// first line of standard input; with none of them the command refuses.
func TestUserPassword_Sources(t *testing.T) {
	for _, c := range []struct {
		name  string
		flag  string
		env   string
		stdin string
		want  string // the password stored; "" when refused
		err   string
	}{
		{"environment", "", "Env1rons", "", "Env1rons", ""},
		{"standard input", "", "", "Piped1pw\nignored\n", "Piped1pw", ""},
		{"standard input, CRLF and spaces", "", "", "  Piped2pw \r\n", "Piped2pw", ""},
		{"standard input without a newline", "", "", "Piped3pw", "Piped3pw", ""},
		{"flag beats environment", "Flag1pwd", "Env1rons", "", "Flag1pwd", ""},
		{"environment beats standard input", "", "Env1rons", "Piped1pw\n", "Env1rons", ""},
		{"nothing", "", "", "", "", "no password given: set NTC_USER_PASSWORD, or pipe the password on standard input, or run the command on a terminal"},
		{"blank line", "", "", "   \n", "", "no password given"},
		{"weak", "", "", "weak\n", "", "the password needs 8+ characters"},
	} {
		for _, cmd := range []string{"user create", "user set-password"} {
			t.Run(cmd+"/"+c.name, func(t *testing.T) {
				path := newDB(t)
				args := append(strings.Fields(cmd), "--db", path)
				email := "alice@example.com"
				if cmd == "user create" {
					email = "erin@example.com"
					args = append(args, "--username", "erin", "--email", email)
				} else {
					args = append(args, "--user", "alice")
				}
				if c.flag != "" {
					args = append(args, "--password", c.flag)
				}
				env := map[string]string{}
				if c.env != "" {
					env["NTC_USER_PASSWORD"] = c.env
				}
				r := call{env: env, stdin: strings.NewReader(c.stdin)}.run(t, args...)
				if c.err != "" {
					if r.code != 2 || !strings.Contains(r.msg(), cmd+": "+c.err) {
						t.Fatalf("exit %d, error %q, want %q", r.code, r.msg(), c.err)
					}
					return
				}
				if r.code != 0 {
					t.Fatalf("exit %d: %v", r.code, r.err)
				}
				u := userByEmail(t, path, email)
				if ok, _, err := password.New(1).Verify(context.Background(), c.want, u.Password); !ok || err != nil {
					t.Fatalf("stored password is not %q (%v)", c.want, err)
				}
			})
		}
	}
}

// --password still works, and its help says where it ends up.
func TestUserPassword_FlagHelpWarns(t *testing.T) {
	for _, cmd := range []string{"create", "set-password"} {
		r := run(t, "user", cmd, "--help")
		i := strings.Index(r.out, "  --password")
		if i < 0 || !strings.Contains(r.out[i:], "shell history") || !strings.Contains(r.out, "NTC_USER_PASSWORD") {
			t.Errorf("user %s --help:\n%s", cmd, r.out)
		}
	}
}
