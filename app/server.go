package app

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/netip"
	"runtime"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/app/mail"
	"notechondria-auth/app/oauth"
	"notechondria-auth/app/password"
	"notechondria-auth/app/throttle"
)

// Config is the server's behaviour configuration (flags and environment are
// parsed in main).
type Config struct {
	Timeouts      Timeouts
	TouchInterval time.Duration // 0: write-through (the original's behaviour)
	CacheSize     int           // 0 disables the token cache
	SweepInterval time.Duration // 0 disables the sweeper
	SweepBatch    int

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

	Google         oauth.GoogleConfig
	GitHub         oauth.GitHubConfig
	FrontendOrigin string

	HashConcurrency int
	// SeparateMetrics leaves /metrics off the main listener (it is served
	// on --metrics-addr through MetricsHandler).
	SeparateMetrics bool
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
	Now    func() time.Time
	Rand   io.Reader
	Mailer mail.Mailer // nil: development fallback (log the message)
	Hasher *password.Hasher
	// Transport carries OAuth provider calls (default http.DefaultTransport).
	Transport http.RoundTripper
}

// Server is the HTTP application.
type Server struct {
	cfg     Config
	store   Store
	log     zerolog.Logger
	now     func() time.Time
	rand    io.Reader
	cache   *tokenCache
	touch   *toucher
	hasher  *password.Hasher
	mailer  mail.Mailer
	mailLog mail.LogMailer
	google  *oauth.Google
	github  *oauth.GitHub
	ipKey   []byte
	metrics *metrics
	lists   *listCache

	loginAccount, loginIP, emailRequests *throttle.Limiter

	handler http.Handler

	hdrNoStore []string // shared, never mutated: "Cache-Control: no-store"
}

// DefaultConfig returns the compiled-in defaults.
func DefaultConfig() Config {
	return Config{
		Timeouts:                Timeouts{Idle: 24 * time.Hour, Absolute: 72 * time.Hour},
		TouchInterval:           time.Minute,
		CacheSize:               10000,
		SweepInterval:           10 * time.Minute,
		SweepBatch:              500,
		MaxBodyBytes:            1 << 20,
		CodeTTL:                 24 * time.Hour,
		ResendCooldown:          60 * time.Second,
		CodeMaxAttempts:         5,
		LoginFailuresPerAccount: Rule{Limit: 10, Window: 15 * time.Minute},
		LoginFailuresPerIP:      Rule{Limit: 50, Window: 15 * time.Minute},
		EmailRequestsPerAddress: Rule{Limit: 5, Window: time.Hour},
		TrustedProxies:          []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
	}
}

// New builds a Server on store. It reads (or creates) the server's IP-hash
// key, so it needs a working store.
func New(ctx context.Context, store Store, cfg Config, o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
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
	cfg.TouchInterval = ClampTouchInterval(cfg.TouchInterval, cfg.Timeouts.Idle)
	s := &Server{
		cfg:     cfg,
		store:   store,
		log:     o.Logger,
		now:     o.Now,
		rand:    o.Rand,
		cache:   newTokenCache(cfg.CacheSize),
		touch:   newToucher(),
		hasher:  o.Hasher,
		mailer:  o.Mailer,
		mailLog: mail.NewLog(o.Logger),
		metrics: newMetrics(),
		lists:   newListCache(cfg.CacheSize),

		loginAccount:  throttle.New(cfg.LoginFailuresPerAccount.Limit, cfg.LoginFailuresPerAccount.Window, o.Now),
		loginIP:       throttle.New(cfg.LoginFailuresPerIP.Limit, cfg.LoginFailuresPerIP.Window, o.Now),
		emailRequests: throttle.New(cfg.EmailRequestsPerAddress.Limit, cfg.EmailRequestsPerAddress.Window, o.Now),
	}
	s.google = oauth.NewGoogle(cfg.Google, oauth.Options{Transport: o.Transport, Now: o.Now})
	s.github = oauth.NewGitHub(cfg.GitHub, oauth.Options{Transport: o.Transport, Now: o.Now})
	gen := make([]byte, 32)
	if _, err := io.ReadFull(o.Rand, gen); err != nil {
		return nil, err
	}
	key, err := store.ServerSecret(ctx, "ip_hash_key", gen)
	if err != nil {
		return nil, err
	}
	s.ipKey = key
	s.hdrNoStore = []string{"no-store"}
	s.handler = s.routes()
	return s, nil
}

// ClampTouchInterval keeps the touch interval well below the idle timeout
// (at most a tenth of it), so coalescing can never make a live session look
// idle.
func ClampTouchInterval(touch, idle time.Duration) time.Duration {
	if limit := idle / 10; touch > limit {
		return limit
	}
	return touch
}

// Config returns the effective configuration (after clamping).
func (s *Server) Config() Config { return s.cfg }

// ServeHTTP serves the application.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// WipeSessions revokes every session (--wipe-sessions-on-boot) and returns
// the count.
func (s *Server) WipeSessions(ctx context.Context) (int, error) {
	n, err := s.store.RevokeAllSessions(ctx, s.now())
	s.purgeCaches()
	return n, err
}

// Run runs the background work (touch writer, sweeper, cache-epoch watch,
// throttle clean-up) until ctx ends, then flushes pending touches.
func (s *Server) Run(ctx context.Context) {
	flushEvery := s.cfg.TouchInterval
	if flushEvery <= 0 {
		flushEvery = time.Second
	}
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	epoch := time.NewTicker(500 * time.Millisecond)
	defer epoch.Stop()
	var sweep <-chan time.Time
	if s.cfg.SweepInterval > 0 {
		t := time.NewTicker(s.cfg.SweepInterval)
		defer t.Stop()
		sweep = t.C
	}
	lastEpoch, _ := s.store.CacheEpoch(ctx)
	for {
		select {
		case <-ctx.Done():
			s.Flush(context.WithoutCancel(ctx))
			return
		case <-flush.C:
			s.Flush(ctx)
		case <-epoch.C:
			if v, err := s.store.CacheEpoch(ctx); err == nil && v != lastEpoch {
				lastEpoch = v
				s.purgeCaches()
				s.log.Info().Int64("epoch", v).Msg("token cache dropped: database changed by another process")
			}
		case <-sweep:
			s.Sweep(ctx)
			s.loginAccount.Sweep()
			s.loginIP.Sweep()
			s.emailRequests.Sweep()
		}
	}
}

// Flush persists pending last-seen times.
func (s *Server) Flush(ctx context.Context) {
	if err := s.touch.flush(ctx, s.store); err != nil {
		s.log.Error().Err(err).Msg("touch flush failed")
	}
}
