package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"time"

	"notechondria-auth/app"
)

// revocation is what a write revoked of one account, for its audit.
type revocation struct {
	userID int64
	ids    []int64
}

// noteRevoked records, for the audit of tx's write, that it revoked the
// sessions ids of userID (none: nothing).
func (t *txn) noteRevoked(userID int64, ids ...int64) {
	if len(ids) == 0 {
		return
	}
	if i, ok := t.revokedAt[userID]; ok {
		t.revoked[i].ids = append(t.revoked[i].ids, ids...)
		return
	}
	if t.revokedAt == nil {
		t.revokedAt = map[int64]int{}
	}
	t.revokedAt[userID] = len(t.revoked)
	t.revoked = append(t.revoked, revocation{userID, ids})
}

// noChange records that the write found nothing to change (turning off
// what is off): the caller's events are not written, none is invented.
func (t *txn) noChange() { t.unchanged = true }

// noteSubject records the account a write found for itself (a reset by
// email): the audit's events without a user id are about it.
func (t *txn) noteSubject(userID int64) { t.subject = userID }

// noteSession records, for the audit of tx's write, the session it created.
func (t *txn) noteSession(s *app.Session) { t.created = append(t.created, s) }

// writeAudit writes the audit of ctx's write in tx, just before the commit:
// the caller's events completed with what the transaction knows (see
// app.Audit), the session.revoked events of the revocations it made, and,
// with webhooks on, an outbox row per event. It returns the events written,
// for Audit.Committed after the commit.
func writeAudit(ctx context.Context, tx *txn) ([]*app.Event, error) {
	a := app.AuditFrom(ctx)
	if a == nil {
		return nil, nil
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	if tx.unchanged {
		return nil, nil
	}
	events := append([]*app.Event(nil), a.Events...)
	for _, ev := range events {
		if ev.UserID == 0 {
			ev.UserID = tx.subject
		}
		if ev.UserID == 0 {
			return nil, app.Internal(errors.New("db: an audited event names no account"))
		}
	}
	for _, s := range tx.created {
		for _, ev := range events {
			if ev.Type == app.EventLoginSucceeded && ev.UserID == s.UserID && ev.SessionID == 0 {
				ev.SessionID, ev.DeviceLabel, ev.UserAgent = s.ID, s.DeviceLabel, s.UserAgent
				if len(s.IPHash) >= 8 {
					ev.IPHashPrefix = s.IPHash[:8]
				}
				if a.Device != "" {
					if err := rememberDevice(ctx, tx, a, ev); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	if a.Cause != "" {
		for _, rv := range tx.revoked {
			ids := rv.ids
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			shown := ids[:min(len(ids), app.RevokedIDsShown)]
			ev, err := a.NewEvent(rv.userID, app.EventSessionRevoked, map[string]any{
				"cause": a.Cause, "count": len(ids), "session_ids": shown})
			if err != nil {
				return nil, err
			}
			events = append(events, ev)
		}
	}
	for _, ev := range events {
		if err := insertEvent(ctx, tx, ev); err != nil {
			return nil, err
		}
	}
	return events, nil
}

// rememberDevice looks the sign-in's device up for the account and records
// its use: NewDevice when the account has not used it within
// app.DeviceMemory, FirstSignIn when it has no device at all (its first
// sign-in ever, or its first since this version).
func rememberDevice(ctx context.Context, tx *txn, a *app.Audit, ev *app.Event) error {
	now := micros(a.Now())
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT last_seen FROM user_devices WHERE user_id = ? AND device_hash = ?`,
		ev.UserID, a.Device).Scan(&last)
	switch {
	case err == nil:
		a.NewDevice = now-last > app.DeviceMemory.Microseconds()
	case errors.Is(err, sql.ErrNoRows):
		known, err := exists(ctx, tx, `SELECT 1 FROM user_devices WHERE user_id = ? LIMIT 1`, ev.UserID)
		if err != nil {
			return err
		}
		a.FirstSignIn, a.NewDevice = !known, known
	default:
		return err
	}
	ev.Detail["new_device"] = a.NewDevice
	_, err = tx.ExecContext(ctx, `INSERT INTO user_devices (user_id, device_hash, first_seen, last_seen)
		VALUES (?,?,?,?) ON CONFLICT (user_id, device_hash) DO UPDATE SET last_seen = excluded.last_seen`,
		ev.UserID, a.Device, now, now)
	return err
}

// insertEvent writes ev (setting its Seq) and, with webhooks on, its
// outbox row.
func insertEvent(ctx context.Context, tx *txn, ev *app.Event) error {
	detail, err := json.Marshal(ev.Detail)
	if err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO security_events (id, user_id, type, at, device_label,
		user_agent, ip_hash_prefix, session_id, detail) VALUES (?,?,?,?,?,?,?,?,?) RETURNING seq`,
		ev.ID, ev.UserID, ev.Type, micros(ev.At), ev.DeviceLabel, ev.UserAgent, ev.IPHashPrefix,
		ev.SessionID, string(detail)).Scan(&ev.Seq); err != nil {
		return err
	}
	if !tx.outbox {
		return nil
	}
	body, err := WebhookBody(ev)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO webhook_outbox (event_id, body, created_at, next_at)
		VALUES (?,?,?,?)`, ev.ID, string(body), micros(ev.At), micros(ev.At))
	return err
}

// WebhookBody is the JSON body delivered for ev: the log's fields plus the
// account's id.
func WebhookBody(ev *app.Event) ([]byte, error) {
	var sid *int64
	if ev.SessionID != 0 {
		sid = &ev.SessionID
	}
	return json.Marshal(struct {
		ID           string         `json:"id"`
		Type         string         `json:"type"`
		At           string         `json:"at"`
		UserID       int64          `json:"user_id"`
		DeviceLabel  string         `json:"device_label"`
		UserAgent    string         `json:"user_agent"`
		IPHashPrefix string         `json:"ip_hash_prefix"`
		SessionID    *int64         `json:"session_id"`
		Detail       map[string]any `json:"detail"`
	}{ev.ID, ev.Type, ev.At.UTC().Format(time.RFC3339Nano), ev.UserID, ev.DeviceLabel, ev.UserAgent,
		ev.IPHashPrefix, sid, ev.Detail})
}

// RecordEvents writes ctx's audit in a transaction of its own.
func (db *DB) RecordEvents(ctx context.Context) error {
	if app.AuditFrom(ctx) == nil {
		return nil
	}
	return db.write(ctx, func(*txn) error { return nil })
}

// SecurityEvents returns the events q selects, newest first.
func (db *DB) SecurityEvents(ctx context.Context, q app.EventQuery) ([]*app.Event, error) {
	before := q.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	where, args := `user_id = ? AND seq < ?`, []any{q.UserID, before}
	if !q.Since.IsZero() {
		where, args = where+` AND at >= ?`, append(args, micros(q.Since))
	}
	if q.Type != "" {
		where, args = where+` AND type = ?`, append(args, q.Type)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT seq, id, user_id, type, at, device_label, user_agent,
		ip_hash_prefix, session_id, detail FROM security_events WHERE `+where+`
		ORDER BY seq DESC LIMIT ?`, append(args, limit)...)
	return collect(rows, err, func(row scanner, _ ...any) (*app.Event, error) {
		ev := &app.Event{}
		var at int64
		var detail string
		if err := row.Scan(&ev.Seq, &ev.ID, &ev.UserID, &ev.Type, &at, &ev.DeviceLabel, &ev.UserAgent,
			&ev.IPHashPrefix, &ev.SessionID, &detail); err != nil {
			return nil, translate(err)
		}
		ev.At = fromMicros(at)
		if err := json.Unmarshal([]byte(detail), &ev.Detail); err != nil {
			return nil, app.Internal(err)
		}
		return ev, nil
	})
}

// SweepEvents deletes up to limit events older than before, and as many
// devices not seen since deviceBefore whose account has a newer one.
func (db *DB) SweepEvents(ctx context.Context, before, deviceBefore time.Time, limit int) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM security_events WHERE seq IN
			(SELECT seq FROM security_events WHERE at < ? ORDER BY seq LIMIT ?)`, micros(before), limit)
		if n, err = rowsAffected(res, err); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM user_devices WHERE id IN
			(SELECT d.id FROM user_devices d WHERE d.last_seen < ?1 AND EXISTS
				(SELECT 1 FROM user_devices e WHERE e.user_id = d.user_id AND e.last_seen >= ?1)
			LIMIT ?2)`, micros(deviceBefore), limit)
		_, err = rowsAffected(res, err)
		return err
	})
	return int(n), err
}
