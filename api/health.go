package api

import (
	"context"
	"net/http"
)

// handleHealthz is GET /healthz: the process is up.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz is GET /readyz: the database answers and its schema is the
// one this binary expects. Once Drain was called it answers 503
// {"status":"draining"}: the process is about to stop.
//
// On PostgreSQL it also reports the change listener ("listener":
// "listening" or "reconnecting"). A replica whose listener is down still
// answers 200: it serves correctly from the database (its caches are
// paused), only slower, so a load balancer should keep sending it traffic.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	pushed, up := s.core.Listening()
	body := map[string]string{"status": "ready"}
	if pushed {
		body["listener"] = "listening"
		if !up {
			body["listener"] = "reconnecting"
		}
	}
	if s.draining.Load() {
		body["status"] = "draining"
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	if err := s.store.Ping(r.Context()); err != nil {
		s.log.Warn().Err(err).Msg("readiness check failed")
		body["status"] = "unavailable"
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// Ready reports whether the store answers; used by the systemd watchdog.
func (s *Server) Ready(ctx context.Context) error { return s.store.Ping(ctx) }
