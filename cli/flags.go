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
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"
)

// binding ties a flag to its environment variable and its usage heading.
type binding struct {
	flag, env string
	secret    bool
	group     string // heading in the usage text ("" when the set has none)
}

// flagSet is a flag.FlagSet that remembers each flag's environment name.
// It prints its usage only for --help, and reports a bad value as one
// line naming the flag, the value and what it wants (see valueError).
type flagSet struct {
	*flag.FlagSet
	name, usage string
	out         io.Writer
	binds       []binding
	group       string // heading for the flags defined next
	bad         error  // the last value a flag refused on the command line
}

func newFlagSet(name, usage string, out io.Writer) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), name: name, usage: usage, out: out}
	// The flag package prints errors and the whole usage on every mistake;
	// parse reports mistakes itself and printUsage answers --help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// heading puts the flags defined after it under title in the usage text.
func (fs *flagSet) heading(title string) { fs.group = title }

func (fs *flagSet) bind(name, env string, secret bool) {
	fs.binds = append(fs.binds, binding{flag: name, env: env, secret: secret, group: fs.group})
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
	*p = def
	fs.define((*intValue)(p), name, usage)
	fs.bind(name, env, false)
}

func (fs *flagSet) duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	*p = def
	fs.define((*durationValue)(p), name, usage)
	fs.bind(name, env, false)
}

func (fs *flagSet) boolean(p *bool, name, env string, def bool, usage string) {
	*p = def
	fs.define((*boolValue)(p), name, usage)
	fs.bind(name, env, false)
}

// define registers v behind a checkedValue, which remembers a refused
// command-line value so that parse can report it plainly.
func (fs *flagSet) define(v flag.Value, name, usage string) {
	fs.Var(&checkedValue{Value: v, name: name, fs: fs}, name, usage)
}

// checkedValue records the error of a refused Set: the flag package only
// keeps its text, behind "invalid value ... parse error".
type checkedValue struct {
	flag.Value
	name string
	fs   *flagSet
}

func (c *checkedValue) Set(s string) error {
	err := c.Value.Set(s)
	if err != nil {
		c.fs.bad = valueError{label: "--" + c.name, value: s, err: err}
	}
	return err
}

// IsBoolFlag lets a boolean flag stand alone (--staff means --staff=true).
func (c *checkedValue) IsBoolFlag() bool {
	b, ok := c.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// valueError is a value a flag, environment variable or config-file key
// refused: `--touch-interval "5": invalid value, want a duration such as
// 30s, 24h`.
type valueError struct {
	label, value string // "--touch-interval", "environment variable NTC_TOUCH_INTERVAL"
	err          error  // what the value should look like
}

func (e valueError) Error() string {
	return fmt.Sprintf("%s %q: invalid value, %v", e.label, e.value, e.err)
}

func (e valueError) Unwrap() error { return e.err }

// intValue, durationValue and boolValue say what they want when they
// refuse a value.
type intValue int

func (i *intValue) String() string { return strconv.Itoa(int(*i)) }

func (i *intValue) Set(s string) error {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 0, strconv.IntSize)
	if errors.Is(err, strconv.ErrRange) {
		return errors.New("want a number (this one is out of range)")
	} else if err != nil {
		return errors.New("want a number such as 10")
	}
	*i = intValue(v)
	return nil
}

type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		if _, nerr := strconv.ParseFloat(strings.TrimSpace(s), 64); nerr == nil {
			return fmt.Errorf("want a duration such as 30s, 24h (a number needs a unit: ms, s, m or h, e.g. %ss)", strings.TrimSpace(s))
		}
		return errors.New("want a duration such as 30s, 24h (units: ms, s, m, h; e.g. 1h30m)")
	}
	*d = durationValue(v)
	return nil
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
		return errors.New("want true or false (or yes/no, on/off, 1/0)")
	}
	return nil
}

// parse applies, in order of precedence: command-line flags, environment
// variables (through getenv), then the --config file (KEY=VALUE lines in
// systemd EnvironmentFile format, keys are the environment names), then the
// compiled-in defaults.
func (fs *flagSet) parse(args []string, getenv func(string) string) error {
	fs.bad = nil
	if err := fs.Parse(args); err != nil {
		switch {
		case errors.Is(err, flag.ErrHelp):
			fs.printUsage()
			return err
		case fs.bad != nil:
			return fs.bad
		}
		// "flag provided but not defined: -nope", "flag needs an argument: -db"
		msg := strings.Replace(err.Error(), ": -", ": --", 1)
		return fmt.Errorf("%s: %s (run \"notechondria-auth %s --help\" for its flags)", fs.name, msg, fs.name)
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
				return valueError{label: "environment variable " + b.env, value: v, err: err}
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
			return valueError{label: "config file " + cfg.Value.String() + ": " + key, value: value, err: err}
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
		if u, err := url.Parse(v); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				v = u.Redacted() // a database URL with its password
			}
		}
		lines = append(lines, b.env+"="+v)
	}
	sort.Strings(lines)
	return lines
}

// errUsage marks a command-line mistake (exit status 2).
type errUsage struct{ err error }

func (e errUsage) Error() string { return e.err.Error() }

func (e errUsage) Unwrap() error { return e.err }

// usageError wraps flag errors; --help is not an error.
func usageError(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errUsage{err}
}

func strconvQuote(s string) string { return strconv.Quote(s) }
