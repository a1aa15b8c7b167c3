package api

import (
	"notechondria-auth/app"

	"io/fs"
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/assets"
)

// routes registers every route in one table that reads like CONTRACT 1.1.
func (s *Server) routes() http.Handler {
	rt := httprouter.New()
	rt.HandleMethodNotAllowed = true
	rt.HandleOPTIONS = false // the CORS middleware answers preflights
	rt.RedirectTrailingSlash = true
	rt.RedirectFixedPath = false
	rt.NotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, app.Detail(app.ENOTFOUND, "Not found."))
	})
	rt.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, app.Detail(app.EMETHOD, `Method "`+r.Method+`" not allowed.`))
	})
	rt.PanicHandler = nil // the middleware recovers

	api := func(method, path string, mode authMode, h apiHandler) {
		full := "/api/v1/" + path
		rt.Handle(method, full, s.api(full, mode, h))
	}
	// 5, 12-15: sessions
	api("POST", "auth/login/", authOptional, s.handleLogin)
	api("POST", "auth/logout/", authRequired, s.handleLogout)
	api("GET", "auth/session/", authNone, s.handleProbe)
	api("GET", "auth/sessions/", authRequired, s.handleSessionList)
	api("DELETE", "auth/sessions/", authRequired, s.handleSessionRevokeOthers)
	api("DELETE", "auth/sessions/:id/", authRequired, s.handleSessionRevoke)
	rt.GET("/api/v1/auth/verify/", s.handleVerify)
	// 8, 9, 11, 23: account
	api("POST", "auth/send-identity-code/", authRequired, s.handleSendIdentityCode)
	api("POST", "auth/change-password/", authRequired, s.handleChangePassword)
	api("POST", "auth/rotate-api-key/", authRequired, s.handleRotateAPIKey)
	api("GET", "settings/", authRequired, s.handleSettingsGet)
	s.accountRoutes(api)
	s.oauthRoutes(rt, api)

	// Operations
	rt.HandlerFunc("GET", "/healthz", s.handleHealthz)
	rt.HandlerFunc("GET", "/readyz", s.handleReadyz)
	if !s.cfg.SeparateMetrics {
		rt.HandlerFunc("GET", "/metrics", s.handleMetrics)
	}

	// The account page
	page := s.pageHandler()
	for _, m := range []string{"GET", "HEAD"} {
		rt.Handler(m, "/", page)
		rt.Handler(m, "/account/", page)
	}
	rt.HandlerFunc("HEAD", "/healthz", s.handleHealthz)
	files := http.FileServer(http.FS(assets.FS()))
	rt.Handler("GET", "/assets/*file", http.StripPrefix("/assets", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(w, "/assets/")
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
			s.writeError(w, r, app.Detail(app.ENOTFOUND, "Not found."))
			return
		}
		securityHeaders(w.Header())
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})))
	return s.middleware(rt)
}

// pageHandler serves index.html with the security headers.
func (s *Server) pageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(w, "/")
		index, err := fs.ReadFile(assets.FS(), "index.html")
		if err != nil {
			s.writeError(w, r, app.Detail(app.ENOTFOUND, "Not found."))
			return
		}
		securityHeaders(w.Header())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(index)
	})
}

// MetricsHandler serves /metrics alone, for --metrics-addr.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	return mux
}
