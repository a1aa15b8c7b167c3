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

// pendingGrace is how long after its last code expired a never-verified
// account is kept.
const pendingGrace = 24 * time.Hour

// Sweep deletes dead sessions (revoked, idle- or absolute-expired), dead
// codes and old change-log rows in batches of cfg.SweepBatch rows, one short write transaction each,
// so the writer is never held long. It returns the rows deleted.
//
// The store judges idleness by the stored last_seen_at, which lags the
// in-memory value while touches wait for the touch writer; so pending
// touches are flushed first, and when that fails no session is deleted for
// idleness in this round (revoked and absolute-expired ones still go).
func (c *Core) Sweep(ctx context.Context) (sessions, codes int) {
	batch := max(c.cfg.SweepBatch, 1)
	now := c.now()
	idle := now.Add(-c.cfg.Timeouts.Idle - max(c.cfg.TouchInterval, sweepGrace))
	created := now.Add(-c.cfg.Timeouts.Absolute)
	if err := c.touch.flush(ctx, c.raw); err != nil {
		c.sweepError(ctx, err, "touch flush before sweep failed: idle sessions kept this round")
		idle = time.Time{}
	} else {
		c.touch.prune(idle)
	}
	// One server of a deployment sweeps at a time (each flushed its own
	// touches above; the idle grace covers the others' unflushed ones).
	if l, ok := c.raw.(Leader); ok {
		release, lead, err := l.TryLead(ctx, "notechondria-auth sweeper")
		if err != nil {
			c.sweepError(ctx, err, "sweeper lock failed: no sweep this round")
			return 0, 0
		}
		if !lead {
			return 0, 0 // another replica is sweeping
		}
		defer release()
	}
	for ctx.Err() == nil {
		n, err := c.raw.SweepSessions(ctx, idle, created, batch)
		if err != nil {
			c.sweepError(ctx, err, "sweep sessions failed")
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
		n, err := c.raw.SweepCodes(ctx, now, batch)
		if err != nil {
			c.sweepError(ctx, err, "sweep codes failed")
			break
		}
		codes += n
		if n < batch {
			break
		}
	}
	// Pending two-step sign-ins, once expired.
	for ctx.Err() == nil {
		n, err := c.raw.SweepChallenges(ctx, now, batch)
		if err != nil {
			c.sweepError(ctx, err, "sweep sign-in challenges failed")
			break
		}
		if n < batch {
			break
		}
	}
	// Pending accounts whose codes all expired over a day ago: register
	// makes one for any address, and nobody will ever verify these.
	if ctx.Err() == nil {
		ids, err := c.store.SweepPendingUsers(ctx, now.Add(-pendingGrace), batch)
		if err != nil {
			c.sweepError(ctx, err, "sweep pending accounts failed")
		}
		c.sweptPending.Add(uint64(len(ids)))
	}
	// The change log gets a row per sign-in, so it is swept to the end
	// each time, in batches like the sessions.
	for ctx.Err() == nil {
		n, err := c.raw.SweepChanges(ctx, now.Add(-changeRetention), batch*20)
		if err != nil {
			c.sweepError(ctx, err, "sweep change log failed")
			break
		}
		if n < batch*20 {
			break
		}
	}
	// The security log past its retention, devices unused for longer
	// than DeviceMemory, and the mailed links once expired.
	retention := c.cfg.SecurityLogRetention
	if retention <= 0 {
		retention = DefaultSecurityLogRetention
	}
	for ctx.Err() == nil {
		n, err := c.raw.SweepEvents(ctx, now.Add(-retention), now.Add(-DeviceMemory), batch)
		if err != nil {
			c.sweepError(ctx, err, "sweep security log failed")
			break
		}
		c.sweptEvents.Add(uint64(n))
		if n < batch {
			break
		}
	}
	if ctx.Err() == nil {
		if _, err := c.raw.SweepActionTokens(ctx, now, batch); err != nil {
			c.sweepError(ctx, err, "sweep mailed links failed")
		}
	}
	c.sweeps.Add(1)
	c.sweptSessions.Add(uint64(sessions))
	c.sweptCodes.Add(uint64(codes))
	if sessions+codes > 0 {
		c.log.Info().Int("sessions", sessions).Int("codes", codes).Msg("swept expired rows")
	}
	return sessions, codes
}

// sweepError logs a sweeper failure; one caused by shutdown is not an error.
func (c *Core) sweepError(ctx context.Context, err error, msg string) {
	if ctx.Err() != nil {
		c.log.Debug().Err(err).Msg(msg + " (shutting down)")
		return
	}
	c.log.Error().Err(err).Msg(msg)
}
