package oauth

import (
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const (
	evilScript = `<script>alert(1)</script>`
	evilAttr   = `"><script>alert(1)</script><x y="`
	evilJS     = `';alert(2)//</script><script>alert(3)</script>`
)

func TestCallbackPageFailure(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		q        url.Values
		want     []string // substrings of the page
	}{
		{name: "provider error", provider: "Google", q: url.Values{"error": {"access_denied"}},
			want: []string{"<title>Authentication failed</title>", "<p>Google sign-in did not complete.</p>",
				"<p>access_denied</p>"}},
		{name: "error with description", provider: "GitHub",
			q:    url.Values{"error": {"access_denied"}, "error_description": {"The user\nsaid no"}, "code": {"c"}},
			want: []string{"<p>access_denied: The user said no</p>"}},
		{name: "script in error", provider: "Google",
			q:    url.Values{"error": {evilScript}, "error_description": {evilAttr}},
			want: []string{"<p>&lt;script&gt;alert(1)&lt;/script&gt;: &#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;x y=&#34;</p>"}},
		{name: "script in provider name", provider: evilScript, q: url.Values{"error": {"x"}},
			want: []string{"<p>&lt;script&gt;alert(1)&lt;/script&gt; sign-in did not complete.</p>"}},
		{name: "no code", provider: "Google", q: url.Values{"state": {"s"}},
			want: []string{"<h1>Authentication failed</h1>", "<p>" + NoCodeMessage + "</p>"}},
		{name: "empty error and code", provider: "", q: url.Values{"error": {""}, "code": {""}},
			want: []string{"<p>" + NoCodeMessage + "</p>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, page := CallbackPage(tt.provider, tt.q, "https://app.example")
			s := string(page)
			if status != 200 {
				t.Fatalf("status = %d", status)
			}
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("page lacks %q:\n%s", w, s)
				}
			}
			if n := strings.Count(strings.ToLower(s), "<script"); n != 0 {
				t.Errorf("failure page has %d <script> elements:\n%s", n, s)
			}
			if strings.Contains(s, "refresh") || strings.Contains(s, "Notechondria/editor") {
				t.Errorf("failure page redirects:\n%s", s)
			}
		})
	}
}

func TestCallbackPageRedirect(t *testing.T) {
	metaRe := regexp.MustCompile(`<meta http-equiv="refresh" content="0;url=([^"]*)">`)
	hrefRe := regexp.MustCompile(`<a href="([^"]*)">`)
	scriptRe := regexp.MustCompile(`<script>window\.location\.replace\(("[^"]*")\);</script>`)
	tests := []struct {
		name, origin, code, state string
		wantTarget                string
	}{
		{name: "plain", origin: "https://app.example", code: "4/0Ab", state: "xyz",
			wantTarget: "https://app.example/Notechondria/editor/?code=4%2F0Ab&state=xyz"},
		{name: "trailing slash origin", origin: "https://app.example/", code: "c", state: "s",
			wantTarget: "https://app.example/Notechondria/editor/?code=c&state=s"},
		{name: "no state", origin: "http://localhost:5173", code: "c",
			wantTarget: "http://localhost:5173/Notechondria/editor/?code=c&state="},
		{name: "empty origin is relative", code: "c", state: "s",
			wantTarget: "/Notechondria/editor/?code=c&state=s"},
		{name: "javascript origin is ignored", origin: "javascript:alert(1)//", code: "c", state: "s",
			wantTarget: "/Notechondria/editor/?code=c&state=s"},
		{name: "origin with query is ignored", origin: "https://app.example/?x=1", code: "c", state: "s",
			wantTarget: "/Notechondria/editor/?code=c&state=s"},
		{name: "injection in code and state", origin: "https://app.example", code: evilAttr, state: evilJS,
			wantTarget: "https://app.example/Notechondria/editor/?code=" + url.QueryEscape(evilAttr) +
				"&state=" + url.QueryEscape(evilJS)},
		{name: "parameter smuggling", origin: "https://app.example", code: "a&state=evil#frag", state: "s p",
			wantTarget: "https://app.example/Notechondria/editor/?code=a%26state%3Devil%23frag&state=s+p"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"code": {tt.code}}
			if tt.state != "" {
				q.Set("state", tt.state)
			}
			status, page := CallbackPage("Google", q, tt.origin)
			s := string(page)
			if status != 200 {
				t.Fatalf("status = %d", status)
			}
			if n := strings.Count(strings.ToLower(s), "<script"); n != 1 {
				t.Errorf("page has %d <script> elements, want 1:\n%s", n, s)
			}
			if strings.Count(strings.ToLower(s), "</script") != 1 {
				t.Errorf("script element closed more than once:\n%s", s)
			}
			// Each place the target appears decodes back to exactly the target.
			m, h, js := metaRe.FindStringSubmatch(s), hrefRe.FindStringSubmatch(s), scriptRe.FindStringSubmatch(s)
			if m == nil || h == nil || js == nil {
				t.Fatalf("page lacks meta refresh, link or script:\n%s", s)
			}
			var fromJS string
			if err := json.Unmarshal([]byte(js[1]), &fromJS); err != nil {
				t.Fatalf("script argument %s is not a string literal: %v", js[1], err)
			}
			for where, got := range map[string]string{"meta": html.UnescapeString(m[1]),
				"href": html.UnescapeString(h[1]), "script": fromJS} {
				if got != tt.wantTarget {
					t.Errorf("%s target = %q, want %q", where, got, tt.wantTarget)
				}
			}
			// And the SPA reads back exactly what the provider sent.
			u, err := url.Parse(tt.wantTarget)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Query(); got.Get("code") != tt.code || got.Get("state") != tt.state || len(got) != 2 {
				t.Errorf("target query = %v, want code=%q state=%q", got, tt.code, tt.state)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  plain  ", "plain"},
		{"a\r\nb\tc\x00d", "a b c d"},
		{"bad\xffutf8", "bad utf8"},
		{strings.Repeat("x", 300), strings.Repeat("x", maxReason) + "…"},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
