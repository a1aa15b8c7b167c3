package api

import (
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
	"notechondria-auth/assets"
	"notechondria-auth/oauth"
)

// routes is THE route table: every route the server answers, in CONTRACT
// 1.1 order (tagged with the endpoint numbers), then the OAuth callback
// pages, operations, and the account page with its assets. A route
// registered anywhere else is a bug.
func (s *Server) routes() http.Handler {
	rt := httprouter.New()
	rt.HandleMethodNotAllowed = true
	rt.HandleOPTIONS = false // the CORS middleware answers preflights
	// Trailing slashes are redirected by notFound, which also says in
	// the body which URL to use (httprouter's redirect has no body).
	rt.RedirectTrailingSlash = false
	rt.RedirectFixedPath = false
	rt.NotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.notFound(rt, w, r) })
	rt.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, app.Detail(app.EMETHOD, `Method "`+r.Method+`" not allowed.`))
	})
	rt.PanicHandler = nil // the middleware recovers

	api := func(method, path string, mode authMode, h apiHandler) {
		full := "/api/v1/" + path
		s.routeList = append(s.routeList, Route{method, full})
		rt.Handle(method, full, s.api(full, mode, h))
	}
	bare := func(method, path string, h httprouter.Handle) {
		s.routeList = append(s.routeList, Route{method, path})
		stats := s.metrics.route(path)
		rt.Handle(method, path, func(w http.ResponseWriter, r *http.Request, p httprouter.Params) {
			setRoute(w, stats)
			h(w, r, p)
		})
	}
	page := func(method, path string, h http.HandlerFunc) {
		s.routeList = append(s.routeList, Route{method, path})
		rt.Handler(method, path, s.page(path, h))
	}

	api("POST", "auth/register/", authOptional, s.anonymous(s.handleRegister))                           // #1
	api("POST", "auth/validate-invitation/", authOptional, s.anonymous(s.handleValidateInvitation))      // #2
	api("POST", "auth/verify-email/", authOptional, s.anonymous(s.handleVerifyEmail))                    // #3
	api("POST", "auth/resend-verification/", authOptional, s.anonymous(s.handleResendVerification))      // #4
	api("POST", "auth/login/", authOptional, s.handleLogin)                                              // #5
	api("POST", "auth/password-reset/", authOptional, s.anonymous(s.handlePasswordReset))                // #6
	api("POST", "auth/password-reset/confirm/", authOptional, s.anonymous(s.handlePasswordResetConfirm)) // #7
	api("POST", "auth/send-identity-code/", authRequired, s.handleSendIdentityCode)                      // #8
	api("POST", "auth/change-password/", authSession, s.handleChangePassword)                            // #9
	api("POST", "auth/change-email/", authSession, s.handleChangeEmail)                                  // #10
	api("POST", "auth/rotate-api-key/", authRequired, s.handleRotateAPIKey)                              // #11
	api("POST", "auth/logout/", authRequired, s.handleLogout)                                            // #12
	api("GET", "auth/session/", authNone, s.handleProbe)                                                 // #13
	api("GET", "auth/sessions/", authRequired, s.handleSessionList)                                      // #14
	api("DELETE", "auth/sessions/", authRequired, s.handleSessionRevokeOthers)                           // #14 (ours: sign out the others)
	api("DELETE", "auth/sessions/:id/", authRequired, s.handleSessionRevoke)                             // #15
	bare("GET", "/api/v1/auth/verify/", s.handleVerify)                                                  // ours: forward auth, the hot path (no adapter)
	api("GET", "auth/oauth-config/", authOptional, s.handleOAuthConfig)                                  // #16
	api("POST", "auth/google/", authOptional, s.anonymous(s.handleOAuthSignIn(oauth.ProviderGoogle)))    // #17
	api("POST", "auth/github/", authOptional, s.anonymous(s.handleOAuthSignIn(oauth.ProviderGitHub)))    // #18
	api("GET", "auth/social-accounts/", authRequired, s.handleSocialAccounts)                            // #19
	api("DELETE", "auth/social-accounts/:provider/", authSessionLink, s.handleSocialUnlink)              // #20
	api("POST", "auth/bind/google/", authSessionLink, s.handleOAuthBind(oauth.ProviderGoogle))           // #21
	api("POST", "auth/bind/github/", authSessionLink, s.handleOAuthBind(oauth.ProviderGitHub))           // #22
	api("GET", "settings/", authRequired, s.handleSettingsGet)                                           // #23
	api("PATCH", "settings/", authRequired, s.handleSettingsPatch)                                       // #23
	// ours (issue 14, CONTRACT 5): second factors and the two-step sign-in
	api("POST", "auth/2fa/challenge/", authOptional, s.anonymous(s.handleChallenge))
	api("POST", "auth/2fa/verify/", authOptional, s.handleVerify2FA)
	api("POST", "auth/reauth/", authSession, s.handleReauth)
	api("GET", "auth/2fa/", authSession, s.handleTwoFactorSummary)
	api("PATCH", "auth/2fa/", authSession, s.stepUp(s.handleTwoFactorPatch))
	api("POST", "auth/2fa/totp/setup/", authSession, s.stepUp(s.handleTOTPSetup))
	api("POST", "auth/2fa/totp/confirm/", authSession, s.handleTOTPConfirm)
	api("DELETE", "auth/2fa/totp/", authSession, s.stepUp(s.handleTOTPDisable))
	api("POST", "auth/2fa/recovery-codes/", authSession, s.stepUp(s.handleRecoveryCodes))
	api("GET", "auth/2fa/pending/", authSession, s.handlePendingSignIns)
	api("POST", "auth/2fa/pending/:id/approve/", authSession, s.handleApproveSignIn)
	api("POST", "auth/2fa/pending/:id/deny/", authSession, s.handleDenySignIn)
	api("POST", "auth/passkeys/register/begin/", authSession, s.stepUp(s.handleRegisterPasskeyBegin))
	api("POST", "auth/passkeys/register/finish/", authSession, s.stepUp(s.handleRegisterPasskeyFinish))
	api("GET", "auth/passkeys/", authSession, s.handlePasskeys)
	api("DELETE", "auth/passkeys/:id/", authSession, s.stepUp(s.handleDeletePasskey))
	api("POST", "auth/passkeys/login/begin/", authOptional, s.anonymous(s.handlePasskeyLoginBegin))
	api("POST", "auth/passkeys/login/finish/", authOptional, s.handlePasskeyLoginFinish)
	// ours (issue 15): the security log
	api("GET", "auth/security-log/", authSession, s.handleSecurityLog)
	// ours: this API's OpenAPI 3.1 description
	api("GET", "openapi.json", authNone, s.handleOpenAPI)

	// The OAuth callback pages (CONTRACT "OAuth callback", project level).
	page("GET", "/auth/google/callback", s.handleOAuthCallback(oauth.ProviderGoogle))
	page("GET", "/auth/github/callback", s.handleOAuthCallback(oauth.ProviderGitHub))

	// The links of the security notices ("This wasn't me", undo an email
	// change): a page with one button, and the button.
	page("GET", securityLinkPath+":token", s.handleSecurityLinkPage)
	page("POST", securityLinkPath+":token", s.handleSecurityLinkUse)

	// Operations.
	page("GET", "/healthz", s.handleHealthz)
	page("HEAD", "/healthz", s.handleHealthz)
	page("GET", "/readyz", s.handleReadyz)
	if !s.cfg.SeparateMetrics {
		page("GET", "/metrics", s.handleMetrics)
	}

	// The account page and its assets.
	for _, m := range []string{"GET", "HEAD"} {
		page(m, "/", s.handleIndex)
		page(m, "/account/", s.handleIndex)
	}
	page("GET", "/assets/*file", s.handleAsset(http.FileServer(http.FS(assets.FS()))))
	return s.middleware(rt)
}

// Route is one entry of the route table: a method and an httprouter path
// pattern (":name" segments, "*file" catch-alls).
type Route struct {
	Method, Path string
}

// Routes returns the route table in registration order (CONTRACT 1.1
// order), for the OpenAPI check and the docs.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routeList...) }

// page adapts a plain handler: it names the route for logs and metrics.
func (s *Server) page(route string, h http.HandlerFunc) http.Handler {
	if strings.HasSuffix(route, "/*file") {
		route = strings.TrimSuffix(route, "*file")
	}
	stats := s.metrics.route(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(w, stats)
		h(w, r)
	})
}

// MetricsHandler serves /metrics alone, for --metrics-addr.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.page("/metrics", s.handleMetrics))
	return mux
}

// notFound answers an unknown path. When the path with (or without) a
// trailing slash is a route, it redirects there as httprouter would (301 for
// GET and HEAD, 307 otherwise, so a POST stays a POST) and says so in a JSON
// body: a front-end developer who forgot the slash reads what to fix.
func (s *Server) notFound(rt *httprouter.Router, w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	alt := p + "/"
	if strings.HasSuffix(p, "/") {
		alt = strings.TrimSuffix(p, "/")
	}
	if h, _, _ := rt.Lookup(r.Method, alt); h == nil || alt == "" {
		s.writeError(w, r, app.Detail(app.ENOTFOUND, "Not found."))
		return
	}
	setRoute(w, s.metrics.redirect)
	target := alt
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	status := http.StatusTemporaryRedirect
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		status = http.StatusMovedPermanently
	}
	w.Header().Set("Location", target)
	writeJSON(w, status, map[string]string{"detail": "Wrong trailing slash: the URL is " + alt + " (redirected there)."})
}
