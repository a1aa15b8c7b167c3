package api

import (
	"io/fs"
	"net/http"
	"strings"

	"notechondria-auth/app"
	"notechondria-auth/assets"
)

// handleIndex serves the account page (index.html) with the security
// headers, at / and /account/.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	index, err := fs.ReadFile(assets.FS(), "index.html")
	if err != nil {
		s.writeError(w, r, app.Detail(app.ENOTFOUND, "Not found."))
		return
	}
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(index)
}

// handleAsset serves the page's embedded assets under /assets/ (no
// directory listings).
func (s *Server) handleAsset(files http.Handler) http.HandlerFunc {
	inner := http.StripPrefix("/assets", files)
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			s.writeError(w, r, app.Detail(app.ENOTFOUND, "Not found."))
			return
		}
		securityHeaders(w.Header())
		w.Header().Set("Cache-Control", "no-cache")
		inner.ServeHTTP(w, r)
	}
}

// securityHeaders are set on the HTML pages and assets.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}
