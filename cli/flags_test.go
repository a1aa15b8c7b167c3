package cli

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// A refused flag value is one line naming the flag, the value and what it
// wants, and the usage is not dumped (exit status 2).
func TestFlags_BadValues(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"duration without unit", []string{"serve", "--touch-interval", "5"}, nil,
			`--touch-interval "5": invalid value, want a duration such as 30s, 24h (a number needs a unit`},
		{"duration word", []string{"serve", "--session-idle-timeout=soon"}, nil,
			`--session-idle-timeout "soon": invalid value, want a duration such as 30s, 24h`},
		{"duration of a subcommand", []string{"invite", "create", "--code", "c", "--expires", "7"}, nil,
			`--expires "7": invalid value, want a duration such as 30s, 24h`},
		{"integer", []string{"serve", "--cache-size", "ten"}, nil, `--cache-size "ten": invalid value, want a number`},
		{"integer out of range", []string{"invite", "create", "--max-uses", "99999999999999999999"}, nil,
			`--max-uses "99999999999999999999": invalid value, want a number`},
		{"boolean", []string{"serve", "--smtp-use-tls=maybe"}, nil, `--smtp-use-tls "maybe": invalid value, want true or false`},
		{"boolean of a subcommand", []string{"user", "create", "--staff=sometimes"}, nil, `--staff "sometimes": invalid value, want true or false`},
		{"environment", []string{"config"}, map[string]string{"NTC_SESSION_IDLE_TIMEOUT": "10"},
			`environment variable NTC_SESSION_IDLE_TIMEOUT "10": invalid value, want a duration such as 30s, 24h`},
		{"environment integer", []string{"config"}, map[string]string{"SMTP_PORT": "smtp"},
			`environment variable SMTP_PORT "smtp": invalid value, want a number`},
		{"unknown flag", []string{"serve", "--nope"}, nil, `serve: flag provided but not defined: --nope (run "notechondria-auth serve --help"`},
		{"missing value", []string{"backup", "--to"}, nil, `backup: flag needs an argument: --to`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := call{env: c.env}.run(t, c.args...)
			if r.code != 2 || !strings.Contains(r.msg(), c.want) {
				t.Fatalf("exit %d, error %q, want it to contain %q", r.code, r.msg(), c.want)
			}
			if r.out != "" || r.errOut != "" {
				t.Fatalf("printed besides the error:\nstdout %q\nstderr %q", r.out, r.errOut)
			}
		})
	}
}

// serve --help groups the flags under headings; every flag appears exactly
// once, with its environment variable and its help text.
func TestServeHelp_Groups(t *testing.T) {
	r := run(t, "serve", "--help")
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	headings := []string{"Server", "Sessions", "Limits", "Mail", "Sign in with Google/GitHub", "Operations"}
	last := -1
	for _, h := range headings {
		i := strings.Index(r.out, "\n"+h+":\n")
		if i < 0 || strings.Count(r.out, "\n"+h+":\n") != 1 {
			t.Fatalf("heading %q missing or repeated:\n%s", h, r.out)
		}
		if i < last {
			t.Errorf("heading %q out of order", h)
		}
		last = i
	}
	lines := strings.Split(r.out, "\n")
	var s settings
	fs := newFlagSet("serve", "", io.Discard)
	defineServe(fs, &s)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		var at []int
		for i, l := range lines {
			if l == "  --"+f.Name || strings.HasPrefix(l, "  --"+f.Name+" ") {
				at = append(at, i)
			}
		}
		if len(at) != 1 {
			t.Errorf("--%s appears %d times", f.Name, len(at))
			return
		}
		i := at[0]
		if env := fs.binds[indexOf(fs, f.Name)].env; !strings.HasSuffix(lines[i], "[$"+env+"]") {
			t.Errorf("--%s: no [$%s] in %q", f.Name, env, lines[i])
		}
		if lines[i+1] != "      "+f.Usage {
			t.Errorf("--%s: help %q, want %q", f.Name, lines[i+1], f.Usage)
		}
	})
	if n < 45 || strings.Count(r.out, "\n  --") != n {
		t.Fatalf("%d flags defined, %d listed", n, strings.Count(r.out, "\n  --"))
	}
	// Each heading has flags under it.
	for _, h := range headings {
		after := r.out[strings.Index(r.out, "\n"+h+":\n")+len(h)+3:]
		if !strings.HasPrefix(after, "  --") {
			t.Errorf("heading %q has no flag under it", h)
		}
	}
}

func indexOf(fs *flagSet, name string) int {
	for i, b := range fs.binds {
		if b.flag == name {
			return i
		}
	}
	return -1
}
