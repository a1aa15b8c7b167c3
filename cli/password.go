package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// obtainPassword returns pw when --password or NTC_USER_PASSWORD gave one
// (the flag set applied both), else reads it from standard input: on a
// terminal it prompts twice without echo, otherwise it takes the first
// line. Surrounding whitespace is dropped, as the API drops it from every
// password it is given (a password kept with its spaces could never sign
// in).
func obtainPassword(ctx context.Context, env Env, cmd, pw string) (string, error) {
	if pw = strings.TrimSpace(pw); pw != "" {
		return pw, nil
	}
	in := env.Stdin
	if in == nil {
		in = os.Stdin
	}
	if f, ok := in.(*os.File); ok && isTerminal(f) {
		return promptPassword(ctx, env, cmd, f)
	}
	line, err := readLine(ctx, bufio.NewReader(in))
	if err != nil {
		return "", fmt.Errorf("%s: read the password from standard input: %w", cmd, err)
	}
	if line = strings.TrimSpace(line); line == "" {
		return "", errUsage{fmt.Errorf("%s: no password given: set NTC_USER_PASSWORD, or pipe the password on standard input, or run the command on a terminal to be prompted (--password works too, but lands in your shell history)", cmd)}
	}
	return line, nil
}

// promptPassword asks on the terminal f, twice, with the echo off.
func promptPassword(ctx context.Context, env Env, cmd string, f *os.File) (string, error) {
	prompt, quiet := "Password: ", true
	if restore, err := echoOff(f); err != nil {
		prompt, quiet = "Password (your typing is visible: "+err.Error()+"): ", false
	} else {
		defer restore()
	}
	r := bufio.NewReader(f)
	var typed [2]string
	for i, p := range []string{prompt, "Repeat the password: "} {
		fmt.Fprint(env.Stderr, p)
		line, err := readLine(ctx, r)
		if quiet {
			fmt.Fprintln(env.Stderr) // the echo is off: Enter printed nothing
		}
		if err != nil {
			return "", fmt.Errorf("%s: read the password: %w", cmd, err)
		}
		typed[i] = strings.TrimSpace(line)
	}
	switch {
	case typed[0] == "":
		return "", errUsage{fmt.Errorf("%s: no password given", cmd)}
	case typed[0] != typed[1]:
		return "", errUsage{fmt.Errorf("%s: the two passwords differ", cmd)}
	}
	return typed[0], nil
}

// readLine reads one line without its line ending; at the end of the
// input it returns what there was ("" for none). It gives up when ctx
// ends (SIGINT), since a terminal or pipe read cannot be interrupted.
func readLine(ctx context.Context, r *bufio.Reader) (string, error) {
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := r.ReadString('\n')
		done <- result{line, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case res := <-done:
		if res.err != nil && !errors.Is(res.err, io.EOF) {
			return "", res.err
		}
		return strings.TrimRight(res.line, "\r\n"), nil
	}
}
