package app

import (
	"context"
	"time"
)

// sweepGrace is how much longer than the idle timeout a session's stored
// last_seen_at must be idle before the sweeper deletes it. Sweep flushes
// pending touches first, but a request may touch a session between that
// flush and the DELETE; such a touch can only happen while the session was
// still alive, that is at most idle after its stored last_seen_at, so a
// margin well above the time a flush and a sweep take makes the race
// impossible. Authentication rejects expired sessions in memory anyway, so
// keeping dead rows a little longer changes nothing on the wire.
const sweepGrace = time.Minute

// Sweep deletes dead sessions (revoked, idle- or absolute-expired) and dead
// codes in batches of cfg.SweepBatch rows, one short write transaction each,
// so the writer is never held long. It returns the rows deleted.
//
// The store judges idleness by the stored last_seen_at, which lags the
// in-memory value while touches wait for the touch writer; so pending
// touches are flushed first, and when that fails no session is deleted for
// idleness in this round (revoked and absolute-expired ones still go).
func (s *Server) Sweep(ctx context.Context) (sessions, codes int) {
	batch := max(s.cfg.SweepBatch, 1)
	now := s.now()
	idle := now.Add(-s.cfg.Timeouts.Idle - max(s.cfg.TouchInterval, sweepGrace))
	created := now.Add(-s.cfg.Timeouts.Absolute)
	if err := s.touch.flush(ctx, s.store); err != nil {
		s.sweepError(ctx, err, "touch flush before sweep failed: idle sessions kept this round")
		idle = time.Time{}
	} else {
		s.touch.prune(idle)
	}
	for ctx.Err() == nil {
		n, err := s.store.SweepSessions(ctx, idle, created, batch)
		if err != nil {
			s.sweepError(ctx, err, "sweep sessions failed")
			break
		}
		sessions += n
		if n < batch {
			break
		}
		// Let queued writes (logins, revocations) in between batches.
		time.Sleep(time.Millisecond)
	}
	for ctx.Err() == nil {
		n, err := s.store.SweepCodes(ctx, now, batch)
		if err != nil {
			s.sweepError(ctx, err, "sweep codes failed")
			break
		}
		codes += n
		if n < batch {
			break
		}
	}
	s.metrics.sweep(sessions, codes)
	if sessions+codes > 0 {
		s.log.Info().Int("sessions", sessions).Int("codes", codes).Msg("swept expired rows")
	}
	return sessions, codes
}

// sweepError logs a sweeper failure; one caused by shutdown is not an error.
func (s *Server) sweepError(ctx context.Context, err error, msg string) {
	if ctx.Err() != nil {
		s.log.Debug().Err(err).Msg(msg + " (shutting down)")
		return
	}
	s.log.Error().Err(err).Msg(msg)
}
