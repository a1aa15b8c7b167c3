package cli

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// invite create says that registration now needs an invitation; stdout
// stays the invitation's id alone.
func TestInviteCreate_SaysRegistrationIsGated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	for i, code := range []string{"first", "second", "third"} {
		r := run(t, "invite", "create", "--db", path, "--code", code)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %v", code, r.code, r.err)
		}
		if !regexp.MustCompile(`^\d+\n$`).MatchString(r.out) {
			t.Fatalf("stdout %q: want the id alone", r.out)
		}
		want := fmt.Sprintf("note: registration now requires an invitation code (this instance has %d invitation(s));", i+1)
		if !strings.HasPrefix(r.errOut, want) || strings.Count(r.errOut, "\n") != 1 {
			t.Fatalf("stderr %q, want a line starting %q", r.errOut, want)
		}
	}
	if r := run(t, "invite", "create", "--db", path, "--code", "first"); r.code != 1 || r.errOut != "" {
		t.Fatalf("duplicate: exit %d, stderr %q", r.code, r.errOut)
	}
}
