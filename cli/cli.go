package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	// Stdin is where user create and user set-password read a password
	// that neither --password nor NTC_USER_PASSWORD gave; nil means
	// os.Stdin. On a terminal they prompt without echo.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Build  Build
	// Ready, when set, is called by serve with the listening address once
	// the server accepts connections (tests use it).
	Ready func(addr string)
}

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
	case "audit":
		return auditCmd(ctx, env, args)
	case "backup":
		return backupCmd(ctx, env, args)
	case "import-django":
		return importDjangoCmd(ctx, env, args)
	case "migrate-store":
		return migrateCmd(ctx, env, args)
	case "healthcheck":
		return healthcheck(ctx, env, args)
	case "config":
		return configCmd(env, args)
	case "version", "--version", "-version":
		return versionCmd(ctx, env, args)
	case "help", "--help", "-h", "-help":
		if cmd == "help" && len(args) > 0 { // "help user create" is "user create --help"
			env.Args = append(append([]string{}, args...), "--help")
			return Run(ctx, env)
		}
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
