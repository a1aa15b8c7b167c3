package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/rs/zerolog"

	"notechondria-auth/app"
	"notechondria-auth/mail"
	"notechondria-auth/oauth"
	"notechondria-auth/password"
)

// Config is the HTTP layer's configuration (flags and environment are
// parsed in cli); Config.Config is the session core's.
type Config struct {
	app.Config

	CORSOrigins    []string       // allowed origins beyond localhost/127.0.0.1
	TrustedProxies []netip.Prefix // peers whose X-Forwarded-For is believed
	MaxBodyBytes   int64

	CodeTTL           time.Duration // SMTP_EMAIL_VERIFICATION_TTL_HOURS
	ResendCooldown    time.Duration
	FrontendVerifyURL string
	CodeMaxAttempts   int // wrong tries before a code dies

	LoginFailuresPerAccount Rule
	LoginFailuresPerIP      Rule
	EmailRequestsPerAddress Rule
	AnonymousRequestsPerIP  Rule

	Google         oauth.GoogleConfig
	GitHub         oauth.GitHubConfig
	FrontendOrigin string
	// PublicURL is this server's address as clients reach it (scheme and
	// host, e.g. https://auth.example.com); new accounts get PublicURL +
	// "/api/v1" as api_base_url. Empty: taken from the request that
	// creates the account.
	PublicURL string

	HashConcurrency int
	// SeparateMetrics leaves /metrics off the main listener (it is served
	// on --metrics-addr through MetricsHandler).
	SeparateMetrics bool

	// RequireSecondFactor makes every password sign-in two-step (an email
	// code when the account has nothing else); OAuth sign-in skips it.
	RequireSecondFactor bool
	// ReauthWindow is how long POST auth/reauth/ keeps a session fresh
	// for the step-up endpoints (default 10 minutes).
	ReauthWindow time.Duration
	// TOTPIssuer names this service in authenticator apps.
	TOTPIssuer string
	// WebAuthnRPID is the passkeys' relying party id (a domain: passkeys
	// work on it and its subdomains); "": the host of PublicURL, else
	// "localhost".
	WebAuthnRPID string
	// WebAuthnOrigins are the origins passkey ceremonies may come from
	// (scheme://host[:port]); empty: the origin of PublicURL, else any
	// http(s)://localhost origin while WebAuthnRPID is "localhost".
	WebAuthnOrigins []string
}

// Rule is a rate limit: at most Limit events per Window (Limit <= 0: off).
type Rule struct {
	Limit  int
	Window time.Duration
}

// Options carries the injected collaborators of a Server; zero values get
// real defaults.
type Options struct {
	Logger zerolog.Logger
	Rand   io.Reader
	Mailer mail.Mailer // nil: development fallback (log the message)
	Hasher *password.Hasher
	// Transport carries OAuth provider calls (default http.DefaultTransport).
	Transport http.RoundTripper
	// Budgets makes the rate limits every replica shares (PostgreSQL);
	// nil, or a nil Limiter for a budget: that budget is kept in memory by
	// this process (SQLite, one process per deployment).
	Budgets SharedBudgets
	// SecretsKey is the 32-byte key that seals TOTP secrets in the
	// database (cli: the key file next to the SQLite database, or
	// --secrets-key-file). nil: authenticator apps cannot be set up or
	// used (503).
	SecretsKey []byte
	// Webhooks is the webhook deliverer, for /metrics (nil: no webhooks).
	Webhooks interface{ Stats() app.DeliveryStats }
}

// Server is the HTTP application on top of a session core.
type Server struct {
	cfg     Config
	core    *app.Core
	store   app.Store // the core's coherent store
	log     zerolog.Logger
	now     func() time.Time
	since   func(time.Time) time.Duration // request durations, see New
	rand    io.Reader
	hasher  *password.Hasher
	mailer  mail.Mailer
	mailLog mail.LogMailer
	google  *oauth.Google
	github  *oauth.GitHub
	ipKey   []byte
	metrics *metrics

	budgets *budgets
	box     *app.SealBox // nil without a secrets key
	wa      *webauthn.WebAuthn
	rows    *rowMemo // rendered static parts of session-list rows

	handler   http.Handler
	routeList []Route // filled by routes()

	hdrNoStore []string // shared, never mutated: "Cache-Control: no-store"

	draining atomic.Bool // set by Drain: the process is about to stop

	webhooks      interface{ Stats() app.DeliveryStats }
	throttleNotes *throttleNotes // throttled sign-ins recorded once a minute
	notices       *notices       // the security notices being sent
}

// DefaultConfig returns the compiled-in defaults.
func DefaultConfig() Config {
	return Config{
		Config:                  app.DefaultConfig(),
		MaxBodyBytes:            1 << 20,
		CodeTTL:                 24 * time.Hour,
		ResendCooldown:          60 * time.Second,
		CodeMaxAttempts:         5,
		LoginFailuresPerAccount: Rule{Limit: 10, Window: 15 * time.Minute},
		LoginFailuresPerIP:      Rule{Limit: 50, Window: 15 * time.Minute},
		EmailRequestsPerAddress: Rule{Limit: 5, Window: time.Hour},
		AnonymousRequestsPerIP:  Rule{Limit: 100, Window: 15 * time.Minute},
		TrustedProxies:          []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		ReauthWindow:            10 * time.Minute,
		TOTPIssuer:              "Notechondria",
	}
}

// New builds a Server on core. cfg.Config is ignored: the core's own
// configuration is used. New reads (or creates) the server's IP-hash key, so
// it needs a working store.
func New(ctx context.Context, core *app.Core, cfg Config, o Options) (*Server, error) {
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if cfg.HashConcurrency <= 0 {
		// GOMAXPROCS follows the container's CPU quota; NumCPU does not.
		cfg.HashConcurrency = runtime.GOMAXPROCS(0)
	}
	if o.Hasher == nil {
		o.Hasher = password.New(cfg.HashConcurrency, password.WithRand(o.Rand))
	}
	if cfg.ReauthWindow <= 0 {
		cfg.ReauthWindow = 10 * time.Minute
	}
	if cfg.TOTPIssuer == "" {
		cfg.TOTPIssuer = "Notechondria"
	}
	cfg.Config = core.Config()
	now := core.Now
	s := &Server{
		cfg:     cfg,
		core:    core,
		store:   core.Store(),
		log:     o.Logger,
		now:     now,
		rand:    o.Rand,
		hasher:  o.Hasher,
		mailer:  o.Mailer,
		mailLog: mail.NewLog(o.Logger),
		metrics: newMetrics(),
		budgets: newBudgets(cfg, now, o.Budgets, o.Logger),
		rows:    newRowMemo(cfg.CacheSize),

		webhooks:      o.Webhooks,
		throttleNotes: newThrottleNotes(),
		notices:       newNotices(),
	}
	wa, err := newWebAuthn(&cfg)
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	s.wa, s.cfg = wa, cfg
	if o.SecretsKey != nil {
		box, err := app.NewSealBox(o.SecretsKey, o.Rand)
		if err != nil {
			return nil, err
		}
		s.box = box
	}
	// Readings of the real clock carry the monotonic clock: a request's
	// duration is then time.Since its start, one clock read. A test clock's
	// readings do not; durations are differences of its readings.
	if t := now(); t != t.Round(0) {
		s.since = time.Since
	} else {
		s.since = func(t time.Time) time.Duration { return now().Sub(t) }
	}
	s.google = oauth.NewGoogle(cfg.Google, oauth.Options{Transport: o.Transport, Now: now})
	s.github = oauth.NewGitHub(cfg.GitHub, oauth.Options{Transport: o.Transport, Now: now})
	gen := make([]byte, 32)
	if _, err := io.ReadFull(o.Rand, gen); err != nil {
		return nil, err
	}
	key, err := s.store.ServerSecret(ctx, "ip_hash_key", gen)
	if err != nil {
		return nil, err
	}
	s.ipKey = key
	s.hdrNoStore = []string{"no-store"}
	s.handler = s.routes()
	return s, nil
}

// Config returns the effective configuration (after clamping).
func (s *Server) Config() Config { return s.cfg }

// Core returns the session core the server runs on.
func (s *Server) Core() *app.Core { return s.core }

// ServeHTTP serves the application.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// WipeSessions revokes every session (--wipe-sessions-on-boot) and returns
// the count.
func (s *Server) WipeSessions(ctx context.Context) (int, error) { return s.core.WipeSessions(ctx) }

// Run runs the core's background work and cleans the throttles after every
// sweep, until ctx ends; then pending touches are flushed.
func (s *Server) Run(ctx context.Context) {
	s.core.Run(ctx, func() { s.budgets.sweep(ctx); s.throttleNotes.sweep(s.now()) })
}

// Drain marks the server as stopping (serve's --drain-timeout): from now on
// every answer carries "Connection: close", so a client or proxy sends no
// further request on that connection, and /readyz answers 503
// {"status":"draining"}. Requests are still served normally.
func (s *Server) Drain() { s.draining.Store(true) }

// Flush persists pending last-seen times.
func (s *Server) Flush(ctx context.Context) { s.core.Flush(ctx) }
