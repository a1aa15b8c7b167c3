package cli

import (
	"fmt"
	"io"
)

const topUsage = `notechondria-auth: the Notechondria auth and session server.

Usage: notechondria-auth <command> [flags]

Commands:
  serve          run the HTTP server
  user           create | list | set-password | deactivate | activate accounts
  invite         create invitation codes
  sessions       list | revoke sessions
  audit          print an account's security log (--user, --since, --type)
  backup         write a consistent copy of the live SQLite database
                 (on PostgreSQL use pg_dump)
  import-django  import the accounts and sessions of the Django backend
  migrate-store  copy every table into an empty database, SQLite to
                 PostgreSQL or back, verified table by table
  healthcheck    probe a running server's /healthz (for container HEALTHCHECKs)
  config         print the effective serve configuration, secrets redacted
  version        print the version (with --db, also the database's schema version)

Every command and subcommand answers --help; the ones that use a database
take --db PATH (or NTC_DB), except migrate-store (--from and --to).

Run "notechondria-auth <command> --help" for a command's flags.`

const userUsage = `Usage: notechondria-auth user <subcommand> [flags]

  create        create an active (verified) account and print its id
  list          list accounts
  set-password  set a password (revokes the account's sessions)
  deactivate    disable sign-in (revokes the account's sessions)
  activate      enable sign-in again

Run "notechondria-auth user <subcommand> --help" for flags.`

const inviteUsage = `Usage: notechondria-auth invite <subcommand> [flags]

  create  create an invitation code and print its id; while any invitation
          exists (even a used-up or expired one), registration requires one

Run "notechondria-auth invite create --help" for flags.`

const sessionsUsage = `Usage: notechondria-auth sessions <subcommand> [flags]

  list    list the live sessions of one account (--user)
  revoke  revoke the sessions of one account (--user) or of all (--all)

Run "notechondria-auth sessions <subcommand> --help" for flags.`

// isHelp reports whether args ask for a command group's help.
func isHelp(args []string) bool {
	return len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "-help" || args[0] == "help")
}

// printUsage writes the --help text: the command line, the description,
// then every flag with its default and environment variable, under the
// headings set with heading (in the order the flags were defined).
func (fs *flagSet) printUsage() {
	out := fs.out
	fmt.Fprintf(out, "Usage: notechondria-auth %s [flags]\n\n%s\n\nFlags (each also read from the environment variable shown):\n", fs.name, fs.usage)
	group := ""
	for _, b := range fs.binds {
		if b.group != group {
			group = b.group
			fmt.Fprintf(out, "\n%s:\n", group)
		}
		printFlag(out, fs, b)
	}
}

func printFlag(out io.Writer, fs *flagSet, b binding) {
	f := fs.Lookup(b.flag)
	def, env := "", ""
	if f.DefValue != "" && f.DefValue != "false" {
		def = " (default " + f.DefValue + ")"
	}
	if b.env != "" {
		env = " [$" + b.env + "]"
	}
	fmt.Fprintf(out, "  --%s%s%s\n      %s\n", f.Name, def, env, f.Usage)
}
