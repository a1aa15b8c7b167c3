package djimport

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// The tables of a report, in the order the import runs them. APIKeys counts
// the Creator rows that carry an API key hash.
const (
	TableUsers       = "auth_user"
	TableCreators    = "creators_creator"
	TableAPIKeys     = "api keys"
	TableSessions    = "creators_session"
	TableSocial      = "creators_socialaccount"
	TableInvitations = "creators_invitationcode"
	TableCodes       = "creators_verificationcode"
)

// Reasons a row is skipped, as the report prints them.
const (
	SkipAlreadyImported = "already imported"
	SkipUserNotImported = "its user was not imported"
	SkipUserInactive    = "its user is not active (pending or disabled)"
	SkipUsernameTaken   = "username taken on the target by another account"
	SkipIDTaken         = "id taken on the target by another account"
	SkipEmptyUsername   = "empty username"
	SkipSecondCreator   = "a second Creator row of the same user (the lowest id is used)"
	SkipKeyMalformed    = "API key hash is not 64 lowercase hex characters"
	SkipKeyTaken        = "the API key hash belongs to another account on the target"
	SkipKeyReplaced     = "the account has another API key on the target"
	SkipRevoked         = "revoked"
	SkipExpired         = "expired (idle over 24h or older than 72h)"
	SkipBadSessionKey   = "session key empty or over 40 characters"
	SkipUnknownProvider = "provider is neither google nor github"
	SkipEmptyUID        = "empty provider_uid"
	SkipSecondLink      = "the user has another link to the same provider (one per provider is kept: the first)"
	SkipIdentityTaken   = "the identity is linked to another account on the target"
	SkipEmptyCodeHash   = "empty code_hash"
	SkipLiveCode        = "live, not imported: users ask for a new code"
	SkipDeadCode        = "spent or expired"
)

// maxAttention bounds the per-row lines of a report.
const maxAttention = 50

// Report is what one import read, imported (or, in a dry run, would
// import) and skipped, per table, with notes for the operator.
type Report struct {
	Source, Target string // set by the caller, printed in the heading
	DryRun         bool
	Tables         []*Table
	// Attention lists rows an operator should look at (conflicts with
	// accounts made on the target), at most 50.
	Attention     []string
	attentionMore int
	Notes         []string
}

// Table counts the rows of one source table.
type Table struct {
	Name           string
	Read, Imported int
	Skips          []Skip // by reason, in order of first occurrence
}

// Skip is how many rows were skipped for one reason.
type Skip struct {
	Reason string
	Count  int
}

func newReport(dryRun bool) *Report {
	r := &Report{DryRun: dryRun}
	for _, n := range []string{TableUsers, TableCreators, TableAPIKeys, TableSessions, TableSocial,
		TableInvitations, TableCodes} {
		r.Tables = append(r.Tables, &Table{Name: n})
	}
	return r
}

// Table returns the counts of the named table (nil if there is none).
func (r *Report) Table(name string) *Table {
	for _, t := range r.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Skipped is the number of rows skipped for any reason.
func (t *Table) Skipped() int {
	n := 0
	for _, s := range t.Skips {
		n += s.Count
	}
	return n
}

// SkippedFor is the number of rows skipped for reason.
func (t *Table) SkippedFor(reason string) int {
	for _, s := range t.Skips {
		if s.Reason == reason {
			return s.Count
		}
	}
	return 0
}

func (t *Table) skip(reason string) {
	for i := range t.Skips {
		if t.Skips[i].Reason == reason {
			t.Skips[i].Count++
			return
		}
	}
	t.Skips = append(t.Skips, Skip{Reason: reason, Count: 1})
}

func (r *Report) attention(format string, args ...any) {
	if len(r.Attention) >= maxAttention {
		r.attentionMore++
		return
	}
	r.Attention = append(r.Attention, fmt.Sprintf(format, args...))
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Write prints the report as plain text: a heading, one line per table, the
// skip reasons, the rows to look at, and the notes.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	if r.Source != "" {
		fmt.Fprintf(&b, "Django database: %s\n", r.Source)
	}
	if r.Target != "" {
		fmt.Fprintf(&b, "Target: %s\n", r.Target)
	}
	imported := "IMPORTED"
	if r.DryRun {
		b.WriteString("Dry run: nothing was written; IMPORTED counts what a real run would import.\n")
		imported = "TO IMPORT"
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "TABLE\tREAD\t%s\tSKIPPED\n", imported)
	for _, t := range r.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", t.Name, t.Read, t.Imported, t.Skipped())
	}
	tw.Flush()
	var skips []string
	for _, t := range r.Tables {
		for _, s := range t.Skips {
			skips = append(skips, fmt.Sprintf("  %s: %d %s", t.Name, s.Count, s.Reason))
		}
	}
	section(&b, "Skipped:", skips)
	att := r.Attention
	if r.attentionMore > 0 {
		att = append(att[:len(att):len(att)], fmt.Sprintf("... and %d more", r.attentionMore))
	}
	section(&b, "Needs attention:", indent(att))
	section(&b, "Notes:", indent(r.Notes))
	_, err := io.WriteString(w, b.String())
	return err
}

func section(b *strings.Builder, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	b.WriteString("\n" + title + "\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
}

func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}
