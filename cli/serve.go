package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/lazyconn"
	"notechondria-auth/mail"
	"notechondria-auth/sysd"
	"notechondria-auth/webhook"
)

const serveUsage = `Run the HTTP server: migrate the database, optionally revoke every session,
listen, and serve until SIGINT/SIGTERM (then finish in-flight requests,
write pending last-seen times and close the database).`

func serve(ctx context.Context, env Env, args []string) error {
	var s settings
	fs := newFlagSet("serve", serveUsage, env.Stdout)
	defineServe(fs, &s)
	if err := usageError(fs.parse(args, env.Getenv)); err != nil {
		return err
	}
	cfg, err := s.appConfig()
	if err != nil {
		return errUsage{err}
	}
	log, err := newLogger(env.Stderr, s.logFormat, s.logLevel)
	if err != nil {
		return errUsage{err}
	}
	if clamped := app.ClampTouchInterval(cfg.TouchInterval, cfg.Timeouts.Idle); clamped != cfg.TouchInterval {
		log.Warn().Str("requested", cfg.TouchInterval.String()).Str("used", clamped.String()).Msg("touch interval clamped to a tenth of the idle timeout")
	}
	if env.Getenv("GOMEMLIMIT") == "" {
		hashes := cfg.HashConcurrency
		if hashes <= 0 {
			hashes = runtime.GOMAXPROCS(0)
		}
		if limit, _ := s.memoryLimitBytes(hashes); limit > 0 {
			debug.SetMemoryLimit(limit)
			log.Debug().Int64("bytes", limit).Msg("GC memory limit set")
		}
	}
	notify := sysd.FromEnv(env.Getenv)
	start := time.Now()
	store, err := openDB(ctx, s.db, true, db.Options{ReadConns: s.dbConns})
	if err != nil {
		return err
	}
	defer store.Close()
	if cfg.CacheTTL < 0 {
		cfg.CacheTTL = app.DefaultCacheTTL(store)
	}
	mc := s.mailConfig()
	core, err := app.NewCore(ctx, store, cfg.Config, app.Options{Logger: log})
	if err != nil {
		return err
	}
	key, err := secretsKey(s.secretsKeyFile, store)
	if err != nil {
		return err
	}
	if key == nil {
		log.Warn().Msg("no --secrets-key-file on PostgreSQL: authenticator apps (TOTP) are off")
	}
	var hooks *app.Deliverer
	if s.webhookURL != "" {
		// Every event writes its outbox row from now on; the deliverer
		// posts them (claimed with a lease, so replicas share the work).
		store.SetWebhooks(true)
		hooks = app.NewDeliverer(store, &webhook.Client{URL: s.webhookURL, Secret: []byte(s.webhookSecret)},
			app.DeliveryConfig{}, nil, log)
	}
	opts := api.Options{Logger: log, Mailer: mail.FromConfig(mc), Budgets: sharedBudgets(store), SecretsKey: key}
	if hooks != nil {
		opts.Webhooks = hooks
	}
	srv, err := api.New(ctx, core, cfg, opts)
	if err != nil {
		return err
	}
	if !mc.Configured() {
		log.Warn().Msg("SMTP_HOST is not set: codes are written to this log instead of being mailed (development fallback)")
	}
	if s.wipe {
		n, err := srv.WipeSessions(ctx)
		if err != nil {
			return fmt.Errorf("wipe sessions: %w", err)
		}
		log.Warn().Int("sessions", n).Msg("revoked every session (--wipe-sessions-on-boot)")
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	hs := newHTTPServer(srv)
	var open openConns
	hs.ConnState = open.track
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(lazyconn.Wrap(ln, time.Now)) }()
	var ms *http.Server
	if s.metricsAddr != "" {
		mln, err := net.Listen("tcp", s.metricsAddr)
		if err != nil {
			hs.Close()
			return err
		}
		ms = newHTTPServer(srv.MetricsHandler())
		go func() { errc <- ms.Serve(lazyconn.Wrap(mln, time.Now)) }()
		log.Info().Str("addr", mln.Addr().String()).Msg("metrics listening")
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { srv.Run(bg); close(done) }()
	if hooks != nil {
		go hooks.Run(bg)
	}
	if iv, ok := sysd.WatchdogInterval(env.Getenv); ok {
		go sysd.RunWatchdog(bg, notify, iv, srv.Ready)
	}
	log.Info().Str("addr", ln.Addr().String()).Str("db", store.Path()).Str("engine", string(store.Engine())).Str("version", env.Build.Version).
		Dur("startup_ms", time.Since(start)).Msg("listening")
	if _, err := notify.Ready(); err != nil {
		log.Warn().Err(err).Msg("sd_notify READY failed")
	}
	notify.Status("serving on " + ln.Addr().String())
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info().Msg("shutting down")
		notify.Stopping()
		serveErr = drain(srv, ln, &open, s.drainTimeout, errc, log)
	case serveErr = <-errc:
		notify.Stopping()
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	shutdownErr := hs.Shutdown(sctx)
	if ms != nil {
		ms.Shutdown(sctx)
	}
	stopBG()
	<-done            // Run flushes pending touches before it returns
	srv.WaitNotices() // security notices already handed to the mailer
	log.Info().Msg("stopped")
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return errors.Join(serveErr, shutdownErr)
}

// drain is the first step of a graceful stop behind a load balancer
// (--drain-timeout). Shutdown alone closes the listener and the idle
// keep-alive connections together, and drops a request it reads after it
// began; a proxy that sent one on such a connection just then gets a reset
// or an early EOF. It retries a GET on another replica, but not a POST that
// may have reached us (nginx, Caddy), so a sign-in fails with 502.
//
// So drain closes the listener first: a new connection is refused, and a
// refused connection is one nginx and Caddy retry elsewhere, POST
// included (nothing was sent). It
// keeps serving the connections already open, each answer saying
// "Connection: close", until none is left (each carried one more request,
// or sat idle until the proxy closed it after its keepalive timeout) or
// timeout passes. Then Shutdown finds nothing to race with.
//
// It returns a failure of the listener other than its closing.
func drain(srv *api.Server, ln net.Listener, open *openConns, timeout time.Duration, errc <-chan error, log zerolog.Logger) error {
	if timeout <= 0 {
		return nil
	}
	srv.Drain()
	ln.Close()
	// Serve returns at once when its listener closes; the metrics
	// listener, if any, keeps serving until Shutdown.
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		return err
	}
	start := time.Now()
	log.Info().Int64("connections", open.n.Load()).Str("timeout", timeout.String()).Msg("draining")
	// A poll, not a signal: it runs once per process lifetime, for seconds.
	for open.n.Load() > 0 && time.Since(start) < timeout {
		time.Sleep(20 * time.Millisecond)
	}
	log.Info().Int64("connections", open.n.Load()).Dur("drain_ms", time.Since(start)).Msg("drained")
	return nil
}

// openConns counts the main listener's open connections (its
// http.Server.ConnState hook).
type openConns struct{ n atomic.Int64 }

func (o *openConns) track(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		o.n.Add(1)
	case http.StateClosed, http.StateHijacked:
		o.n.Add(-1)
	}
}

// newHTTPServer gives every listener (the main one and --metrics-addr) the
// same limits: slow or idle clients cannot hold connections open. The
// header and whole-request read timeouts are equal (15 s for at most 1 MiB
// of body), so net/http sets one read deadline per request instead of two.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 15 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
}

// sharedBudgets is the api.SharedBudgets of store: the budgets table on
// PostgreSQL, so every replica spends from one budget; nil on SQLite, where
// each process keeps its budgets in memory.
func sharedBudgets(store *db.DB) api.SharedBudgets {
	if store.Engine() != db.Postgres {
		return nil
	}
	return func(name string, limit int, window time.Duration, now func() time.Time) api.Limiter {
		if b, ok := store.Budget(name, limit, window, now); ok {
			return b
		}
		return nil
	}
}

// secretsKey loads the key that seals TOTP secrets: --secrets-key-file
// when set (it must exist), else on SQLite the file <db path>.keys beside
// the database, created 0600 on first start; on PostgreSQL none (nil:
// authenticator apps are off). The key never enters the database, so a copy
// of the database alone opens no TOTP secret.
func secretsKey(file string, store *db.DB) ([]byte, error) {
	create := false
	if file == "" {
		if store.Engine() != db.SQLite {
			return nil, nil
		}
		file, create = store.Path()+".keys", true
	}
	key, err := app.LoadSecretsKey(file, create, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("--secrets-key-file: %w", err)
	}
	return key, nil
}
