package cli

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/mail"
	"notechondria-auth/oauth"
)

// DefaultDB is the database path when none is configured.
const DefaultDB = "./data/notechondria-auth.db"

// settings is everything `serve` reads from flags, environment and file.
type settings struct {
	config, addr, db, metricsAddr string
	wipe                          bool
	idle, absolute, touch, sweep  time.Duration
	cacheSize, sweepBatch         int
	logFormat, logLevel           string
	corsOrigins, trustedProxies   string
	maxBody                       int
	loginAccount, loginIP, emails string
	anonymous                     string
	codeAttempts, hashConcurrency int
	memoryLimit                   string
	cacheTTL                      string
	dbConns                       int
	drainTimeout                  time.Duration

	smtpHost, smtpUser, smtpPassword, smtpFrom, verifyURL string
	smtpPort, codeTTLHours                                int
	smtpTLS, smtpSSL                                      bool
	smtpTimeout                                           time.Duration

	googleID, googleSecret, googleRedirect, googleAuthURL, googleTokenURL, googleIssuer, googleJWKS string
	githubID, githubSecret, githubRedirect, githubAuthURL, githubTokenURL, githubAPI                string
	frontendOrigin                                                                                  string
	publicURL                                                                                       string

	requireSecondFactor bool
	reauthWindow        time.Duration
	secretsKeyFile      string
	webAuthnRPID        string
	webAuthnOrigins     string

	logRetention              string
	webhookURL, webhookSecret string
}

// defineServe defines serve's flags (config reuses them), under the
// headings of serve --help.
func defineServe(fs *flagSet, s *settings) {
	d := api.DefaultConfig()
	fs.heading("Server")
	fs.str(&s.config, "config", "NTC_CONFIG", "", "read KEY=VALUE lines (systemd EnvironmentFile format; keys are the environment names) from `FILE`")
	fs.str(&s.addr, "addr", "NTC_ADDR", "127.0.0.1:8080", "listen on `HOST:PORT` (port 0 picks a free port)")
	fs.str(&s.db, "db", "NTC_DB", DefaultDB, "the database: a SQLite file `PATH` (created with its directory on first start) or a postgres:// URL (see docs/OPERATIONS.md)")
	fs.integer(&s.dbConns, "db-max-conns", "NTC_DB_MAX_CONNS", 0, "PostgreSQL connections per server (0: 10); SQLite: read connections (0: 2 x CPUs, at least 4)")
	fs.str(&s.corsOrigins, "cors-origins", "NTC_CORS_ORIGINS", "", "comma-separated origins or hosts allowed by CORS besides localhost and 127.0.0.1")
	fs.str(&s.trustedProxies, "trusted-proxies", "NTC_TRUSTED_PROXIES", "127.0.0.0/8,::1/128", "comma-separated CIDRs whose X-Forwarded-For is believed (\"none\": never)")
	fs.str(&s.publicURL, "public-url", "NTC_PUBLIC_URL", "", "this server's address as clients reach it, e.g. `https://auth.example.com`; new accounts get it + /api/v1 as api_base_url (empty: the address each registering request reached)")
	fs.duration(&s.drainTimeout, "drain-timeout", "NTC_DRAIN_TIMEOUT", 0, "on SIGTERM, close the listener at once but keep serving the connections already open (each answer with \"Connection: close\", /readyz 503 \"draining\") until they are closed or this long has passed; 0: stop at once. Behind a load balancer with keep-alive: longer than its upstream keepalive timeout (docs/OPERATIONS.md)")

	fs.heading("Sessions")
	fs.duration(&s.idle, "session-idle-timeout", "NTC_SESSION_IDLE_TIMEOUT", d.Timeouts.Idle, "a session unused for longer than this expires")
	fs.duration(&s.absolute, "session-absolute-timeout", "NTC_SESSION_ABSOLUTE_TIMEOUT", d.Timeouts.Absolute, "a session older than this expires, used or not")
	fs.duration(&s.touch, "touch-interval", "NTC_TOUCH_INTERVAL", d.TouchInterval, "write last-seen times at most this often (0: on every request, like the original); clamped to a tenth of the idle timeout")
	fs.integer(&s.cacheSize, "cache-size", "NTC_CACHE_SIZE", d.CacheSize, "token cache entries (0 disables the cache)")
	fs.str(&s.cacheTTL, "cache-ttl", "NTC_CACHE_TTL", "", "longest time a cached credential, list or profile is used without reading the database (`DURATION`; 0: no bound; empty: 60s on PostgreSQL, none on SQLite)")
	fs.boolean(&s.wipe, "wipe-sessions-on-boot", "NTC_WIPE_SESSIONS_ON_BOOT", false, "revoke every session after migrations, before listening (signs everybody out)")

	fs.heading("Second factors")
	fs.boolean(&s.requireSecondFactor, "require-second-factor", "NTC_REQUIRE_SECOND_FACTOR", false, "every password sign-in needs a second step (an emailed code when the account has nothing else); OAuth sign-in skips it")
	fs.duration(&s.reauthWindow, "reauth-window", "NTC_REAUTH_WINDOW", d.ReauthWindow, "how long POST auth/reauth/ keeps a session fresh for the step-up endpoints")
	fs.str(&s.secretsKeyFile, "secrets-key-file", "NTC_SECRETS_KEY_FILE", "", "the key that encrypts TOTP secrets (`FILE`, 64 hex characters); empty on SQLite: <db path>.keys, created 0600 on first start; on PostgreSQL required for authenticator apps (see docs/SECURITY.md)")
	fs.str(&s.webAuthnRPID, "webauthn-rp-id", "NTC_WEBAUTHN_RP_ID", "", "the passkeys' relying party: a `DOMAIN` the page's host is or ends in (passkeys are bound to it; changing it later orphans them); empty: the host of --public-url, else localhost")
	fs.str(&s.webAuthnOrigins, "webauthn-origins", "NTC_WEBAUTHN_ORIGINS", "", "comma-separated origins (`https://notes.example.com`) whose pages may register and use passkeys: this server's account page and every front end that calls the passkey endpoints; empty: the origin of --public-url, else any http://localhost:PORT")

	fs.heading("Security log")
	fs.str(&s.logRetention, "security-log-retention", "NTC_SECURITY_LOG_RETENTION", "180d", "the sweeper deletes security events older than this (`DURATION`, days as Nd)")
	fs.str(&s.webhookURL, "webhook-url", "NTC_WEBHOOK_URL", "", "POST every security event to this `URL` as signed JSON (X-Notechondria-Signature), retried for 24 h; empty: no webhooks")
	fs.secret(&s.webhookSecret, "webhook-secret", "NTC_WEBHOOK_SECRET", "the HMAC-SHA256 key of the webhook signatures (required with --webhook-url)")

	fs.heading("Limits")
	fs.integer(&s.maxBody, "max-body-bytes", "NTC_MAX_BODY_BYTES", int(d.MaxBodyBytes), "largest accepted request body")
	fs.str(&s.loginAccount, "login-failures-per-account", "NTC_LOGIN_FAILURES_PER_ACCOUNT", "10/15m", "failed sign-ins allowed per account, as `N/DURATION` (0 disables)")
	fs.str(&s.loginIP, "login-failures-per-ip", "NTC_LOGIN_FAILURES_PER_IP", "50/15m", "failed sign-ins allowed per client network (an IPv4 address, an IPv6 /64), as `N/DURATION`")
	fs.str(&s.emails, "email-requests-per-address", "NTC_EMAIL_REQUESTS_PER_ADDRESS", "5/1h", "code mails per address and purpose (anonymous: register, resend, reset; the signed-in owner's identity codes; change-email codes), as `N/DURATION`")
	fs.str(&s.anonymous, "anonymous-requests-per-ip", "NTC_ANONYMOUS_REQUESTS_PER_IP", "100/15m", "requests per client network to the anonymous endpoints that hash, mail or tell whether an account exists (register, resend, verify, reset, reset confirm, validate-invitation, Google/GitHub sign-in), as `N/DURATION`")
	fs.integer(&s.codeAttempts, "code-max-attempts", "NTC_CODE_MAX_ATTEMPTS", d.CodeMaxAttempts, "wrong tries from one client network after which a 6-digit code refuses its guesses (it dies for everybody after ten times this)")
	fs.integer(&s.hashConcurrency, "hash-concurrency", "NTC_HASH_CONCURRENCY", 0, "password hashes computed at once (0: one per CPU of GOMAXPROCS)")

	fs.heading("Mail")
	fs.str(&s.smtpHost, "smtp-host", "SMTP_HOST", "", "SMTP server; empty logs each message instead of sending it (development)")
	fs.integer(&s.smtpPort, "smtp-port", "SMTP_PORT", mail.DefaultPort, "SMTP port")
	fs.str(&s.smtpUser, "smtp-username", "SMTP_USERNAME", "", "SMTP user (AUTH only when set)")
	fs.secret(&s.smtpPassword, "smtp-password", "SMTP_PASSWORD", "SMTP password")
	fs.boolean(&s.smtpTLS, "smtp-use-tls", "SMTP_USE_TLS", true, "require STARTTLS")
	fs.boolean(&s.smtpSSL, "smtp-use-ssl", "SMTP_USE_SSL", false, "implicit TLS (port 465)")
	fs.str(&s.smtpFrom, "smtp-from-email", "SMTP_FROM_EMAIL", "", "sender address (default: the SMTP user, else "+mail.DefaultFrom+")")
	fs.duration(&s.smtpTimeout, "smtp-timeout", "NTC_SMTP_TIMEOUT", mail.DefaultTimeout, "longest time one message may take to send")
	fs.str(&s.verifyURL, "frontend-verify-url", "FRONTEND_VERIFY_URL", "", "link put in code mails")
	fs.integer(&s.codeTTLHours, "email-verification-ttl-hours", "SMTP_EMAIL_VERIFICATION_TTL_HOURS", 24, "lifetime of emailed codes, in hours")

	fs.heading("Sign in with Google/GitHub")
	fs.str(&s.googleID, "google-oauth-client-id", "GOOGLE_OAUTH_CLIENT_ID", "", "Google OAuth client id")
	fs.secret(&s.googleSecret, "google-oauth-client-secret", "GOOGLE_OAUTH_CLIENT_SECRET", "Google OAuth client secret")
	fs.str(&s.googleRedirect, "google-authorized-redirect-uri", "GOOGLE_AUTHORIZED_REDIRECT_URI", "", "redirect URI registered with Google")
	fs.str(&s.googleAuthURL, "google-auth-url", "NTC_GOOGLE_AUTH_URL", oauth.GoogleAuthURL, "Google authorize endpoint")
	fs.str(&s.googleTokenURL, "google-token-url", "NTC_GOOGLE_TOKEN_URL", oauth.GoogleTokenURL, "Google token endpoint")
	fs.str(&s.googleIssuer, "google-issuer", "NTC_GOOGLE_ISSUER", oauth.GoogleIssuer, "expected ID token issuer")
	fs.str(&s.googleJWKS, "google-jwks-url", "NTC_GOOGLE_JWKS_URL", oauth.GoogleJWKSURL, "Google signing keys (JWKS)")
	fs.str(&s.githubID, "github-app-client-id", "GITHUB_APP_CLIENT_ID", "", "GitHub OAuth app client id")
	fs.secret(&s.githubSecret, "github-app-client-secret", "GITHUB_APP_CLIENT_SECRET", "GitHub OAuth app client secret")
	fs.str(&s.githubRedirect, "github-authorized-redirect-uri", "GITHUB_AUTHORIZED_REDIRECT_URI", "", "redirect URI registered with GitHub")
	fs.str(&s.githubAuthURL, "github-auth-url", "NTC_GITHUB_AUTH_URL", oauth.GitHubAuthURL, "GitHub authorize endpoint")
	fs.str(&s.githubTokenURL, "github-token-url", "NTC_GITHUB_TOKEN_URL", oauth.GitHubTokenURL, "GitHub token endpoint")
	fs.str(&s.githubAPI, "github-api-url", "NTC_GITHUB_API_URL", oauth.GitHubAPIURL, "GitHub API base URL")
	fs.str(&s.frontendOrigin, "frontend-origin", "FRONTEND_ORIGIN", "", "origin of the editor front end (OAuth callback pages redirect there)")

	fs.heading("Operations")
	fs.str(&s.logFormat, "log-format", "NTC_LOG_FORMAT", "json", "log format: json or console")
	fs.str(&s.logLevel, "log-level", "NTC_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	fs.str(&s.metricsAddr, "metrics-addr", "NTC_METRICS_ADDR", "", "serve /metrics on this `HOST:PORT` instead of the main listener")
	fs.str(&s.memoryLimit, "memory-limit", "NTC_MEMORY_LIMIT", "auto", "soft heap limit for the Go GC, e.g. 128MiB; auto: 48 MiB + 24 MiB per concurrent hash; off: none; GOMEMLIMIT, when set, wins")
	fs.duration(&s.sweep, "sweep-interval", "NTC_SWEEP_INTERVAL", d.SweepInterval, "delete expired and revoked rows this often (0 disables)")
	fs.integer(&s.sweepBatch, "sweep-batch", "NTC_SWEEP_BATCH", d.SweepBatch, "rows deleted per sweeper transaction")
}

// appConfig turns settings into app.Config, checking every value.
func (s *settings) appConfig() (api.Config, error) {
	c := api.DefaultConfig()
	c.Timeouts = app.Timeouts{Idle: s.idle, Absolute: s.absolute}
	if s.idle <= 0 || s.absolute <= 0 {
		return c, fmt.Errorf("--session-idle-timeout and --session-absolute-timeout must be positive")
	}
	if _, err := newLogger(io.Discard, s.logFormat, s.logLevel); err != nil {
		return c, err
	}
	if _, _, err := net.SplitHostPort(s.addr); err != nil {
		return c, fmt.Errorf("--addr %q: want HOST:PORT", s.addr)
	}
	if s.touch < 0 || s.sweep < 0 || s.cacheSize < 0 || s.maxBody <= 0 || s.sweepBatch <= 0 || s.codeTTLHours <= 0 {
		return c, fmt.Errorf("durations and sizes must not be negative (and --max-body-bytes, --sweep-batch, TTL must be positive)")
	}
	c.TouchInterval, c.CacheSize, c.SweepInterval, c.SweepBatch = s.touch, s.cacheSize, s.sweep, s.sweepBatch
	c.CacheTTL = -1 // the engine's default, set once the store is open
	if strings.TrimSpace(s.cacheTTL) != "" {
		ttl, err := time.ParseDuration(strings.TrimSpace(s.cacheTTL))
		if err != nil || ttl < 0 {
			return c, fmt.Errorf("--cache-ttl %q: want a duration such as 30s, 5m (0: no bound)", s.cacheTTL)
		}
		c.CacheTTL = ttl
	}
	if s.dbConns < 0 {
		return c, fmt.Errorf("--db-max-conns must not be negative")
	}
	if s.drainTimeout < 0 {
		return c, fmt.Errorf("--drain-timeout must not be negative")
	}
	if s.reauthWindow <= 0 {
		return c, fmt.Errorf("--reauth-window must be positive")
	}
	c.RequireSecondFactor, c.ReauthWindow = s.requireSecondFactor, s.reauthWindow
	retention, err := parseDays(s.logRetention)
	if err != nil || retention <= 0 {
		return c, fmt.Errorf("--security-log-retention %q: want a positive duration such as 180d or 720h", s.logRetention)
	}
	c.SecurityLogRetention = retention
	if (s.webhookURL == "") != (s.webhookSecret == "") {
		return c, fmt.Errorf("--webhook-url and --webhook-secret go together")
	}
	if s.webhookURL != "" {
		if u, err := url.Parse(s.webhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("--webhook-url %q: want an http:// or https:// URL", s.webhookURL)
		}
	}
	c.MaxBodyBytes = int64(s.maxBody)
	c.CORSOrigins = splitList(s.corsOrigins)
	c.TrustedProxies = nil
	proxies := s.trustedProxies
	if strings.EqualFold(strings.TrimSpace(proxies), "none") {
		proxies = ""
	}
	for _, p := range splitList(proxies) {
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return c, fmt.Errorf("--trusted-proxies: %q is not a CIDR or address", p)
			}
			pre = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, pre)
	}
	for _, r := range []struct {
		name string
		v    string
		dst  *api.Rule
	}{{"--login-failures-per-account", s.loginAccount, &c.LoginFailuresPerAccount},
		{"--login-failures-per-ip", s.loginIP, &c.LoginFailuresPerIP},
		{"--email-requests-per-address", s.emails, &c.EmailRequestsPerAddress},
		{"--anonymous-requests-per-ip", s.anonymous, &c.AnonymousRequestsPerIP}} {
		if *r.dst, err = parseRule(r.v); err != nil {
			return c, fmt.Errorf("%s: %w", r.name, err)
		}
	}
	c.CodeMaxAttempts, c.HashConcurrency = s.codeAttempts, s.hashConcurrency
	c.CodeTTL = time.Duration(s.codeTTLHours) * time.Hour
	c.FrontendVerifyURL, c.FrontendOrigin = s.verifyURL, s.frontendOrigin
	if s.publicURL != "" {
		if u, err := url.Parse(s.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("--public-url %q: want an http:// or https:// URL with a host", s.publicURL)
		}
		c.PublicURL = strings.TrimRight(s.publicURL, "/")
	}
	c.Google = oauth.GoogleConfig{ClientID: s.googleID, ClientSecret: s.googleSecret, RedirectURI: s.googleRedirect,
		AuthURL: s.googleAuthURL, TokenURL: s.googleTokenURL, Issuer: s.googleIssuer, JWKSURL: s.googleJWKS}
	c.GitHub = oauth.GitHubConfig{ClientID: s.githubID, ClientSecret: s.githubSecret, RedirectURI: s.githubRedirect,
		AuthURL: s.githubAuthURL, TokenURL: s.githubTokenURL, APIURL: s.githubAPI}
	if err := s.webAuthn(&c); err != nil {
		return c, err
	}
	c.SeparateMetrics = s.metricsAddr != ""
	if _, err := s.memoryLimitBytes(1); err != nil {
		return c, err
	}
	return c, nil
}

func (s *settings) mailConfig() mail.Config {
	return mail.Config{Host: s.smtpHost, Port: s.smtpPort, Username: s.smtpUser, Password: s.smtpPassword,
		UseTLS: s.smtpTLS, UseSSL: s.smtpSSL, From: s.smtpFrom, Timeout: s.smtpTimeout}
}

// parseRule reads "N/DURATION" ("0" disables).
func parseRule(v string) (api.Rule, error) {
	n, d, ok := strings.Cut(strings.TrimSpace(v), "/")
	limit, err := strconv.Atoi(n)
	if err != nil || limit < 0 {
		return api.Rule{}, fmt.Errorf("%q: want N/DURATION, e.g. 10/15m", v)
	}
	if limit == 0 {
		return api.Rule{}, nil
	}
	if !ok {
		return api.Rule{}, fmt.Errorf("%q: want N/DURATION, e.g. 10/15m", v)
	}
	window, err := time.ParseDuration(d)
	if err != nil || window <= 0 {
		return api.Rule{}, fmt.Errorf("%q: bad duration", v)
	}
	return api.Rule{Limit: limit, Window: window}, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// newLogger builds the zerolog logger: JSON lines (journald and container
// friendly) or a console format for people.
func newLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)
	}
	switch format {
	case "json":
	case "console":
		// Colour only on a terminal: a log file or a pipe gets plain text.
		f, isFile := w.(*os.File)
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339, NoColor: !isFile || !isTerminal(f)}
	default:
		return zerolog.Nop(), fmt.Errorf("--log-format: %q is not json or console", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// memoryLimit resolves --memory-limit to bytes (0: no limit). Each argon2id
// hash allocates 19 MiB; without a limit the GC lets a login flood's garbage
// pile up to about twice the live heap.
func (s *settings) memoryLimitBytes(hashConcurrency int) (int64, error) {
	v := strings.TrimSpace(strings.ToLower(s.memoryLimit))
	switch v {
	case "off", "0", "":
		return 0, nil
	case "auto":
		return int64(48+24*hashConcurrency) << 20, nil
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10}, {"b", 1}}
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			n, err := strconv.ParseInt(strings.TrimSuffix(v, u.suffix), 10, 64)
			if err != nil || n <= 0 {
				break
			}
			return n * u.mult, nil
		}
	}
	return 0, fmt.Errorf("--memory-limit %q: want auto, off, or a size like 128MiB", s.memoryLimit)
}

// webAuthn checks the passkey settings: the relying party id is a domain
// (browsers refuse IP addresses), each origin is scheme://host[:port], and
// each origin's host is the relying party id or a subdomain of it.
func (s *settings) webAuthn(c *api.Config) error {
	rp := strings.ToLower(strings.TrimSpace(s.webAuthnRPID))
	if rp != "" {
		if strings.ContainsAny(rp, ":/ ") || strings.Trim(rp, ".") != rp {
			return fmt.Errorf("--webauthn-rp-id %q: want a domain such as example.com (no scheme, port or path)", s.webAuthnRPID)
		}
		if _, err := netip.ParseAddr(rp); err == nil {
			return fmt.Errorf("--webauthn-rp-id %q: browsers refuse an IP address as a relying party; use a domain (localhost works on this machine)", s.webAuthnRPID)
		}
	}
	effective := rp
	if effective == "" && c.PublicURL != "" {
		u, _ := url.Parse(c.PublicURL)
		effective = u.Hostname()
	}
	for _, o := range splitList(s.webAuthnOrigins) {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("--webauthn-origins: %q is not an origin such as https://notes.example.com", o)
		}
		host := strings.ToLower(u.Hostname())
		if effective == "" {
			effective = "localhost"
		}
		if host != effective && !strings.HasSuffix(host, "."+effective) {
			return fmt.Errorf("--webauthn-origins: %q is not on the relying party %s (set --webauthn-rp-id to a domain both share)", o, effective)
		}
		c.WebAuthnOrigins = append(c.WebAuthnOrigins, u.Scheme+"://"+u.Host)
	}
	c.WebAuthnRPID = rp
	return nil
}

// parseDays reads a duration that may also be a whole number of days
// ("180d").
func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, err
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}
