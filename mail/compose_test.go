package mail

import (
	"strings"
	"testing"
)

func TestCompose(t *testing.T) {
	const url = "https://notechondria.example/verify"
	tests := []struct {
		kind        Kind
		url         string
		wantSubject string
		wantText    string
	}{
		{Registration, url, "Verify your Notechondria account",
			"Use this code to verify your Notechondria account.\n\nEmail: a@example.com\nCode: 012345\nCode expires in: 24 hours\nVerify here: https://notechondria.example/verify\n"},
		{Registration, "", "Verify your Notechondria account",
			"Use this code to verify your Notechondria account.\n\nEmail: a@example.com\nCode: 012345\nCode expires in: 24 hours\nVerify here: Open the app settings page to continue.\n"},
		{PasswordReset, url, "Reset your Notechondria password",
			"Use this code to reset your Notechondria password.\n\nEmail: a@example.com\nCode: 012345\nCode expires in: 24 hours\nOpen settings: https://notechondria.example/verify\n"},
		{Identity, "", "Verify your identity \u2013 Notechondria",
			"Use this code to verify your identity before making account changes.\n\nEmail: a@example.com\nCode: 012345\nCode expires in: 24 hours\nOpen settings: Open the app settings page to continue.\n"},
		{ChangeEmail, url, "Confirm your new Notechondria email",
			"Use this code to confirm your new email address.\n\nEmail: a@example.com\nCode: 012345\nCode expires in: 24 hours\nOpen settings: https://notechondria.example/verify\n"},
		{Kind(99), "", "Your Notechondria code",
			"Use this code to continue.\n\nEmail: a@example.com\nCode: 012345\nCode expires in: 24 hours\nOpen settings: Open the app settings page to continue.\n"},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String(), func(t *testing.T) {
			m := Compose(tc.kind, "a@example.com", "012345", 24, tc.url)
			if m.To != "a@example.com" {
				t.Errorf("To = %q", m.To)
			}
			if m.Subject != tc.wantSubject {
				t.Errorf("Subject = %q, want %q", m.Subject, tc.wantSubject)
			}
			if m.Text != tc.wantText {
				t.Errorf("Text =\n%q\nwant\n%q", m.Text, tc.wantText)
			}
			intro, _, _ := strings.Cut(tc.wantText, "\n")
			for _, want := range []string{intro, "Email: a@example.com", "012345", "Code expires in: 24 hours"} {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("HTML lacks %q:\n%s", want, m.HTML)
				}
			}
			if tc.url != "" && !strings.Contains(m.HTML, `<a href="`+tc.url+`">`) {
				t.Errorf("HTML lacks the link to %s:\n%s", tc.url, m.HTML)
			}
			if tc.url == "" && !strings.Contains(m.HTML, NoURLAction) {
				t.Errorf("HTML lacks %q:\n%s", NoURLAction, m.HTML)
			}
			for _, external := range []string{"<img", "<script", "<link", "src="} {
				if strings.Contains(m.HTML, external) {
					t.Errorf("HTML contains %q", external)
				}
			}
		})
	}
}

func TestComposeEscapesHTML(t *testing.T) {
	tests := []struct {
		name, to, url string
		wantIn        []string
		wantNotIn     []string
	}{
		{"markup in address", `<b>x</b>@example.com`, "",
			[]string{"&lt;b&gt;x&lt;/b&gt;@example.com"}, []string{"<b>x</b>"}},
		{"javascript URL", "a@example.com", "javascript:alert(1)",
			[]string{"#ZgotmplZ"}, []string{`href="javascript:`}},
		{"query string", "a@example.com", "https://x.example/v?a=1&b=<2>",
			[]string{"a=1&amp;b="}, []string{"b=<2>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Compose(Registration, tc.to, "111111", 24, tc.url)
			for _, s := range tc.wantIn {
				if !strings.Contains(m.HTML, s) {
					t.Errorf("HTML lacks %q:\n%s", s, m.HTML)
				}
			}
			for _, s := range tc.wantNotIn {
				if strings.Contains(m.HTML, s) {
					t.Errorf("HTML contains %q:\n%s", s, m.HTML)
				}
			}
		})
	}
}

func TestWithNote(t *testing.T) {
	m := Compose(PasswordReset, "a@example.com", "123456", 24, "").WithNote("Linked: <GitHub> & Google.")
	if !strings.HasSuffix(m.Text, "\nLinked: <GitHub> & Google.\n") {
		t.Fatalf("text %q", m.Text)
	}
	if !strings.Contains(m.HTML, "<p>Linked: &lt;GitHub&gt; &amp; Google.</p>\n</body>") {
		t.Fatalf("html %q", m.HTML)
	}
	if same := Compose(Identity, "a@example.com", "1", 1, "").WithNote(""); same.Text != Compose(Identity, "a@example.com", "1", 1, "").Text {
		t.Fatal("empty note changed the message")
	}
}
