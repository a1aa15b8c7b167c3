// Package cli is the command line of notechondria-auth: the subcommands,
// their flags, and the environment and config-file layers under them.
package cli

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"
)

// binding ties a flag to its environment variable.
type binding struct {
	flag, env string
	secret    bool
}

// flagSet is a flag.FlagSet that remembers each flag's environment name.
type flagSet struct {
	*flag.FlagSet
	binds []binding
}

func newFlagSet(name, usage string, out io.Writer) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: notechondria-auth %s\n\n%s\n\nFlags (each also read from the environment variable shown):\n", name, usage)
		fs.VisitAll(func(f *flag.Flag) {
			env := fs.envOf(f.Name)
			def := ""
			if f.DefValue != "" && f.DefValue != "false" {
				def = " (default " + f.DefValue + ")"
			}
			if env != "" {
				env = " [$" + env + "]"
			}
			fmt.Fprintf(out, "  --%s%s%s\n      %s\n", f.Name, def, env, f.Usage)
		})
	}
	return fs
}

func (fs *flagSet) envOf(name string) string {
	for _, b := range fs.binds {
		if b.flag == name {
			return b.env
		}
	}
	return ""
}

func (fs *flagSet) bind(name, env string, secret bool) {
	fs.binds = append(fs.binds, binding{flag: name, env: env, secret: secret})
}

// str, integer, duration and boolean define a flag and its environment name.
func (fs *flagSet) str(p *string, name, env, def, usage string) {
	fs.StringVar(p, name, def, usage)
	fs.bind(name, env, false)
}

func (fs *flagSet) secret(p *string, name, env, usage string) {
	fs.StringVar(p, name, "", usage)
	fs.bind(name, env, true)
}

func (fs *flagSet) integer(p *int, name, env string, def int, usage string) {
	fs.IntVar(p, name, def, usage)
	fs.bind(name, env, false)
}

func (fs *flagSet) duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	fs.DurationVar(p, name, def, usage)
	fs.bind(name, env, false)
}

func (fs *flagSet) boolean(p *bool, name, env string, def bool, usage string) {
	*p = def
	fs.Var((*boolValue)(p), name, usage)
	fs.bind(name, env, false)
}

// boolValue accepts the original's truthy words (1, true, yes, on) and
// their opposites.
type boolValue bool

func (b *boolValue) String() string { return strconv.FormatBool(bool(*b)) }

func (b *boolValue) IsBoolFlag() bool { return true }

func (b *boolValue) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on", "t", "y":
		*b = true
	case "0", "false", "no", "off", "f", "n", "":
		*b = false
	default:
		return fmt.Errorf("not a boolean: %q (use true/false, yes/no, on/off, 1/0)", s)
	}
	return nil
}

// parse applies, in order of precedence: command-line flags, environment
// variables (through getenv), then the --config file (KEY=VALUE lines in
// systemd EnvironmentFile format, keys are the environment names), then the
// compiled-in defaults.
func (fs *flagSet) parse(args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, b := range fs.binds {
		if set[b.flag] {
			continue
		}
		if v, ok := lookupEnv(getenv, b.env); ok {
			if err := fs.Set(b.flag, v); err != nil {
				return fmt.Errorf("environment variable %s: %w", b.env, err)
			}
			set[b.flag] = true
		}
	}
	cfg := fs.Lookup("config")
	if cfg == nil || cfg.Value.String() == "" {
		return nil
	}
	data, err := os.ReadFile(cfg.Value.String())
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	byEnv := map[string]string{}
	for _, b := range fs.binds {
		byEnv[b.env] = b.flag
	}
	return ff.EnvParser(bytes.NewReader(withoutEmptyValues(data)), func(key, value string) error {
		key = strings.TrimPrefix(key, "export ")
		name, ok := byEnv[key]
		if !ok {
			return nil // other programs' variables may share the file
		}
		if set[name] {
			return nil
		}
		if err := fs.Set(name, value); err != nil {
			return fmt.Errorf("config file %s: %s: %w", cfg.Value.String(), key, err)
		}
		return nil
	})
}

// lookupEnv treats an empty variable as unset.
func lookupEnv(getenv func(string) string, key string) (string, bool) {
	if key == "" {
		return "", false
	}
	v := getenv(key)
	return v, v != ""
}

// withoutEmptyValues drops "KEY=" lines, which EnvironmentFile allows (and
// means "unset") but ff's parser rejects.
func withoutEmptyValues(data []byte) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '='); i > 0 && !strings.HasPrefix(line, "#") && strings.TrimSpace(line[i+1:]) == "" {
			continue
		}
		// systemd strips single quotes too; ff only understands double.
		if i := strings.IndexByte(line, '='); i > 0 {
			v := strings.TrimSpace(line[i+1:])
			if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
				line = line[:i+1] + strconvQuote(v[1:len(v)-1])
			}
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// effective lists every flag's environment name and value, secrets
// redacted, sorted by name.
func (fs *flagSet) effective() []string {
	var lines []string
	for _, b := range fs.binds {
		v := fs.Lookup(b.flag).Value.String()
		if b.secret && v != "" {
			v = "<redacted>"
		}
		lines = append(lines, b.env+"="+v)
	}
	sort.Strings(lines)
	return lines
}

// errUsage marks a command-line mistake (exit status 2).
type errUsage struct{ err error }

func (e errUsage) Error() string { return e.err.Error() }

// usageError wraps flag errors; --help is not an error.
func usageError(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errUsage{err}
}

func strconvQuote(s string) string { return strconv.Quote(s) }
