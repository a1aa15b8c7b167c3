// Command notechondria-auth is the Notechondria auth and session server:
// one static binary with an embedded SQLite database.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"notechondria-auth/cli"
)

// version is set at build time: -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, cli.Env{Args: os.Args[1:], Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr,
		Build: cli.Build{Version: version}})
	stop()
	if code := cli.ExitCode(err); code != 0 {
		fmt.Fprintln(os.Stderr, "notechondria-auth:", err)
		os.Exit(code)
	}
}
