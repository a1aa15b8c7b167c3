package cli

import (
	"strings"
	"testing"

	"notechondria-auth/api"
)

// The passkey settings: a domain as the relying party, origins on it, and
// the defaults left to the server (the host of --public-url, else
// localhost).
func TestSettings_WebAuthn(t *testing.T) {
	for _, c := range []struct {
		name, rp, origins, public string
		wantRP                    string
		wantOrigins               string
		err                       string
	}{
		{name: "defaults"},
		{name: "rp and origins", rp: "Example.com", origins: "https://notes.example.com, https://example.com:8443/",
			wantRP: "example.com", wantOrigins: "https://notes.example.com,https://example.com:8443"},
		{name: "origins on the public URL's host", public: "https://auth.example.com", origins: "https://auth.example.com",
			wantOrigins: "https://auth.example.com"},
		{name: "localhost origins by default", origins: "http://localhost:5173", wantOrigins: "http://localhost:5173"},
		{name: "an IP address", rp: "127.0.0.1", err: "browsers refuse an IP address"},
		{name: "a URL as the rp", rp: "https://example.com", err: "want a domain such as example.com"},
		{name: "an origin with a path", rp: "example.com", origins: "https://example.com/app", err: `"https://example.com/app" is not an origin`},
		{name: "an origin elsewhere", rp: "example.com", origins: "https://example.org", err: `"https://example.org" is not on the relying party example.com`},
		{name: "a look-alike suffix", rp: "example.com", origins: "https://badexample.com", err: "is not on the relying party"},
		{name: "not localhost by default", origins: "https://notes.example.com", err: "is not on the relying party localhost"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &settings{webAuthnRPID: c.rp, webAuthnOrigins: c.origins}
			cfg := api.DefaultConfig()
			cfg.PublicURL = c.public
			err := s.webAuthn(&cfg)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.WebAuthnRPID != c.wantRP || strings.Join(cfg.WebAuthnOrigins, ",") != c.wantOrigins {
				t.Fatalf("rp %q origins %v, want %q %q", cfg.WebAuthnRPID, cfg.WebAuthnOrigins, c.wantRP, c.wantOrigins)
			}
		})
	}
}
