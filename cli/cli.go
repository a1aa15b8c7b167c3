package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"time"
)

// Build information, set by the linker (-X main.version=... is forwarded by
// main through Version).
type Build struct {
	Version string
}

// Env is what a command may touch of the process: arguments, environment,
// output streams. Tests pass their own.
type Env struct {
	Args   []string // without the program name
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	Build  Build
	// Ready, when set, is called by serve with the listening address once
	// the server accepts connections (tests use it).
	Ready func(addr string)
}

const topUsage = `notechondria-auth: the Notechondria auth and session server.

Usage: notechondria-auth <command> [flags]

Commands:
  serve        run the HTTP server
  user         create | list | set-password | deactivate | activate accounts
  invite       create invitation codes
  sessions     list | revoke sessions
  backup       write a consistent copy of the live database
  healthcheck  probe a running server's /healthz (for container HEALTHCHECKs)
  config       print the effective serve configuration, secrets redacted
  version      print the version

Run "notechondria-auth <command> --help" for a command's flags.`

// Run executes one command. It returns an error for the process to report;
// ExitCode maps it to an exit status.
func Run(ctx context.Context, env Env) error {
	if len(env.Args) == 0 {
		fmt.Fprintln(env.Stderr, topUsage)
		return errUsage{errors.New("no command given")}
	}
	cmd, args := env.Args[0], env.Args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, env, args)
	case "user":
		return userCmd(ctx, env, args)
	case "invite":
		return inviteCmd(ctx, env, args)
	case "sessions":
		return sessionsCmd(ctx, env, args)
	case "backup":
		return backupCmd(ctx, env, args)
	case "healthcheck":
		return healthcheck(ctx, env, args)
	case "config":
		return configCmd(env, args)
	case "version", "--version", "-version":
		fmt.Fprintf(env.Stdout, "notechondria-auth %s (%s, %s/%s)\n", env.Build.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	case "help", "--help", "-h", "-help":
		fmt.Fprintln(env.Stdout, topUsage)
		return nil
	}
	fmt.Fprintln(env.Stderr, topUsage)
	return errUsage{fmt.Errorf("unknown command %q", cmd)}
}

// ExitCode is 0 for success and --help, 2 for usage errors, 1 otherwise.
func ExitCode(err error) int {
	var u errUsage
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

// configCmd prints the effective serve configuration.
func configCmd(env Env, args []string) error {
	var s settings
	fs := newFlagSet("config", "Print the effective configuration of serve (flags, environment and --config file\napplied), one KEY=VALUE line each, secrets redacted.", env.Stdout)
	defineServe(fs, &s)
	if err := usageError(fs.parse(args, env.Getenv)); err != nil {
		return err
	}
	if _, err := s.appConfig(); err != nil {
		return errUsage{err}
	}
	for _, l := range fs.effective() {
		fmt.Fprintln(env.Stdout, l)
	}
	return nil
}

// healthcheck GETs a /healthz URL and succeeds on 200; made for container
// HEALTHCHECKs on images without curl.
func healthcheck(ctx context.Context, env Env, args []string) error {
	var url string
	var timeout time.Duration
	fs := newFlagSet("healthcheck", "Exit 0 when GET --url answers 200, 1 otherwise.", env.Stdout)
	fs.str(&url, "url", "NTC_HEALTHCHECK_URL", defaultHealthURL(env.Getenv), "health `URL` to probe (default from NTC_ADDR)")
	fs.duration(&timeout, "timeout", "NTC_HEALTHCHECK_TIMEOUT", 3*time.Second, "give up after this long")
	if err := usageError(fs.parse(args, env.Getenv)); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return errUsage{err}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d", url, resp.StatusCode)
	}
	fmt.Fprintln(env.Stdout, "ok")
	return nil
}

// defaultHealthURL points at NTC_ADDR when set (a wildcard host becomes
// 127.0.0.1), else at the default listen address.
func defaultHealthURL(getenv func(string) string) string {
	addr := getenv("NTC_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://127.0.0.1:8080/healthz"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}
