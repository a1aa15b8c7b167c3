package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"time"
)

// versionCmd prints the version and, given a database, its schema version.
func versionCmd(ctx context.Context, env Env, args []string) error {
	var config, dbPath string
	fs := newFlagSet("version", `Print the version. With --db (or NTC_DB), also the schema version of that
database against this binary's, e.g. "schema: 2 (current)". The database is
opened read-only: never created, migrated or written.`, env.Stdout)
	fs.str(&config, "config", "NTC_CONFIG", "", "read NTC_DB from this KEY=VALUE `FILE`")
	fs.str(&dbPath, "db", "NTC_DB", "", "SQLite database `PATH` whose schema version to report")
	if err := usageError(fs.parse(args, env.Getenv)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "notechondria-auth %s (%s, %s/%s)\n", env.Build.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if dbPath == "" {
		return nil
	}
	line, err := schemaLine(ctx, dbPath)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, line)
	return nil
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
	var url, dbPath string
	var timeout time.Duration
	fs := newFlagSet("healthcheck", `Exit 0 when GET --url answers 200, 1 otherwise.

It asks the running server over HTTP and never opens the database itself:
--db (NTC_DB) is accepted, so that one environment serves every command,
and ignored. Point --url at /readyz to have the server check its database.`, env.Stdout)
	fs.str(&url, "url", "NTC_HEALTHCHECK_URL", defaultHealthURL(env.Getenv), "health `URL` to probe (default from NTC_ADDR)")
	fs.duration(&timeout, "timeout", "NTC_HEALTHCHECK_TIMEOUT", 3*time.Second, "give up after this long")
	fs.str(&dbPath, "db", "NTC_DB", "", "accepted and ignored (healthcheck does not open the database)")
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
