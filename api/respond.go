package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
)

// authMode says how a route authenticates (CONTRACT 1.0).
type authMode int

const (
	authOptional authMode = iota // AllowAny: bad credentials still get 401
	authRequired                 // IsAuthenticated
	authNone                     // authentication_classes = [] (the probe)
	// authSession is authRequired, and an API key is refused with 403:
	// what a leaked MCP key must not do (change the password or the
	// email address).
	authSession
	// authSessionLink is authSession for linking and unlinking sign-in
	// providers (a key holder who links their own GitHub would sign in by
	// OAuth for good, even after the owner rotates the key).
	authSessionLink
)

// apiHandler is the signature of every API handler: it writes a success
// response or returns an error for writeError.
type apiHandler func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error

// api adapts an apiHandler: it authenticates the caller as mode says,
// stores it in the request context and writes any returned error.
func (s *Server) api(route string, mode authMode, h apiHandler) httprouter.Handle {
	stats := s.metrics.route(route)
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) {
		setRoute(w, stats)
		if mode != authNone {
			a, err := s.authenticate(w, r, true)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if a == nil && mode != authOptional {
				s.writeError(w, r, app.Unauthorized(app.MsgNotProvided))
				return
			}
			if a.ViaAPIKey() && (mode == authSession || mode == authSessionLink) {
				msg := msgSessionRequiredForKey
				if mode == authSessionLink {
					msg = msgSessionRequiredForLink
				}
				s.writeError(w, r, app.Detail(app.EFORBIDDEN, msg))
				return
			}
			if a != nil {
				r = r.WithContext(withAuth(r.Context(), a))
			}
		}
		if err := h(w, r, p); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// authenticate resolves the request's Authorization header through the
// core, at the request's clock reading: (nil, nil) for an anonymous
// request, a 401 *app.Error for bad credentials.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, touch bool) (*app.Auth, error) {
	hv := r.Header["Authorization"]
	if len(hv) == 0 {
		return nil, nil
	}
	return s.core.AuthenticateAt(r.Context(), hv[0], touch, s.requestNow(w))
}

// writeJSON writes v as compact JSON without HTML escaping (DRF's
// renderer) and without a trailing newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		buf.WriteString(`{"detail":"A server error occurred."}`)
		status = http.StatusInternalServerError
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeSecret is writeJSON for a body that carries a credential (a session
// token or an API key): no cache, proxy or browser history may keep it.
func writeSecret(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, v)
}

// writeError maps err to its status and DRF-shaped body. Internal errors are
// logged with the request id and answered without detail.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *app.Error
	if !errors.As(err, &e) {
		e = app.Internal(err)
	}
	status := statusOf(e.Code)
	if e.Code == app.EINTERNAL {
		if errors.Is(err, context.Canceled) || r.Context().Err() != nil {
			// The client hung up; nothing went wrong here.
			s.log.Debug().Err(err).Str("req_id", requestID(r)).Str("path", r.URL.Path).Msg("request cancelled by the client")
		} else {
			s.log.Error().Err(err).Str("req_id", requestID(r)).Str("path", r.URL.Path).Msg("internal error")
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Token")
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Fields != nil {
		writeJSON(w, status, e.Fields)
		return
	}
	body := map[string]any{"detail": app.ErrorMessage(e)}
	for k, v := range e.Extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

// noContent answers 204 with no body and no Content-Type.
func noContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// statusOf is THE table from error codes to HTTP statuses.
func statusOf(code string) int {
	switch code {
	case app.EINVALID:
		return http.StatusBadRequest
	case app.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case app.EFORBIDDEN:
		return http.StatusForbidden
	case app.ENOTFOUND:
		return http.StatusNotFound
	case app.EMETHOD:
		return http.StatusMethodNotAllowed
	case app.ECONFLICT:
		return http.StatusConflict
	case app.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case app.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case app.ERATELIMIT:
		return http.StatusTooManyRequests
	case app.EBADGATEWAY:
		return http.StatusBadGateway
	case app.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
