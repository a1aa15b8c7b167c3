package app

import (
	"context"
	"time"
)

// Sweep deletes dead sessions (revoked, idle- or absolute-expired) and dead
// codes in batches of cfg.SweepBatch rows, one short write transaction each,
// so the writer is never held long. It returns the rows deleted.
func (s *Server) Sweep(ctx context.Context) (sessions, codes int) {
	batch := max(s.cfg.SweepBatch, 1)
	now := s.now()
	idle, created := now.Add(-s.cfg.Timeouts.Idle), now.Add(-s.cfg.Timeouts.Absolute)
	for ctx.Err() == nil {
		n, err := s.store.SweepSessions(ctx, idle, created, batch)
		if err != nil {
			s.log.Error().Err(err).Msg("sweep sessions failed")
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
			s.log.Error().Err(err).Msg("sweep codes failed")
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
