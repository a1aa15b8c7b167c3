package app

import (
	"context"
	"time"
)

// coherentStore is the store every caller above the core uses (Core.Store).
// It embeds the engine for the methods that read, or write only what no
// cache holds, and overrides each method that changes cached state: it
// commits through the engine, then drops what the write changed, then
// returns. So "commit, then drop, then answer" holds by construction.
//
// The engine also writes each such change to the change log inside the same
// transaction, so other processes on the database drop the same entries
// (changes.go). coherent_test.go fails for a Store method that is in
// neither of its two tables: whoever adds a method decides.
type coherentStore struct {
	Store
	c *Core
}

func (s *coherentStore) revoked(userID int64, hashes []string) {
	s.c.cache.drop(CredSession, hashes...)
	s.c.lists.forgetUser(userID)
}

func (s *coherentStore) userChanged(userID int64) { s.c.userChanged(userID) }

// UpdateUser: the user's cached credentials carry its identity.
func (s *coherentStore) UpdateUser(ctx context.Context, u *User) error {
	err := s.Store.UpdateUser(ctx, u)
	s.userChanged(u.ID)
	return err
}

// SetPassword: the revoked sessions and the user's snapshots.
func (s *coherentStore) SetPassword(ctx context.Context, userID int64, hash string, revoke bool, keepSessionID int64, now time.Time) ([]string, error) {
	hashes, err := s.Store.SetPassword(ctx, userID, hash, revoke, keepSessionID, now)
	s.revoked(userID, hashes)
	s.userChanged(userID)
	return hashes, err
}

// SetActive: every credential of the user.
func (s *coherentStore) SetActive(ctx context.Context, userID int64, active bool, now time.Time) ([]string, error) {
	hashes, err := s.Store.SetActive(ctx, userID, active, now)
	s.revoked(userID, hashes)
	s.userChanged(userID)
	return hashes, err
}

// SetAPIKey: the old key, and the user's snapshots (they carry the prefix).
func (s *coherentStore) SetAPIKey(ctx context.Context, userID int64, keyHash, prefix string, now time.Time) (string, error) {
	old, err := s.Store.SetAPIKey(ctx, userID, keyHash, prefix, now)
	if old != "" {
		s.c.cache.drop(CredAPIKey, old)
	}
	s.userChanged(userID)
	return old, err
}

// CreateSession: the user's session list.
func (s *coherentStore) CreateSession(ctx context.Context, sess *Session) error {
	err := s.Store.CreateSession(ctx, sess)
	s.c.lists.forgetUser(sess.UserID)
	return err
}

// RevokeSession: that session.
func (s *coherentStore) RevokeSession(ctx context.Context, userID, sessionID int64, now time.Time) (string, error) {
	hash, err := s.Store.RevokeSession(ctx, userID, sessionID, now)
	s.revoked(userID, []string{hash})
	return hash, err
}

// RevokeUserSessions: those sessions.
func (s *coherentStore) RevokeUserSessions(ctx context.Context, userID, exceptID int64, now time.Time) ([]string, error) {
	hashes, err := s.Store.RevokeUserSessions(ctx, userID, exceptID, now)
	s.revoked(userID, hashes)
	return hashes, err
}

// RevokeAllSessions: everything.
func (s *coherentStore) RevokeAllSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := s.Store.RevokeAllSessions(ctx, now)
	s.c.purgeCaches()
	return n, err
}

// SweepPendingUsers: the deleted accounts.
func (s *coherentStore) SweepPendingUsers(ctx context.Context, before time.Time, limit int) ([]int64, error) {
	ids, err := s.Store.SweepPendingUsers(ctx, before, limit)
	for _, id := range ids {
		s.userChanged(id)
	}
	return ids, err
}

// Register: the pending account may have changed.
func (s *coherentStore) Register(ctx context.Context, r *Registration) (*User, error) {
	u, err := s.Store.Register(ctx, r)
	if u != nil {
		s.userChanged(u.ID)
	}
	return u, err
}

// VerifyEmail: the account became active.
func (s *coherentStore) VerifyEmail(ctx context.Context, email, codeHash string, maxAttempts int, now time.Time, unusablePassword string) (*User, error) {
	u, err := s.Store.VerifyEmail(ctx, email, codeHash, maxAttempts, now, unusablePassword)
	if u != nil {
		s.userChanged(u.ID)
	}
	return u, err
}

// ResetPassword: every session of the account and its snapshots.
func (s *coherentStore) ResetPassword(ctx context.Context, email, codeHash, passwordHash string, maxAttempts int, now time.Time) (*User, []string, error) {
	u, hashes, err := s.Store.ResetPassword(ctx, email, codeHash, passwordHash, maxAttempts, now)
	if u != nil {
		s.revoked(u.ID, hashes)
		s.userChanged(u.ID)
	}
	return u, hashes, err
}

// ChangeEmail: the other sessions and the user's snapshots.
func (s *coherentStore) ChangeEmail(ctx context.Context, userID, keepSessionID int64, newEmail, codeHash string, maxAttempts int, now time.Time) ([]string, error) {
	hashes, err := s.Store.ChangeEmail(ctx, userID, keepSessionID, newEmail, codeHash, maxAttempts, now)
	s.revoked(userID, hashes)
	s.userChanged(userID)
	return hashes, err
}

// ResolveSocialLogin: a pending account may have been activated.
func (s *coherentStore) ResolveSocialLogin(ctx context.Context, req *SocialLogin) (*User, error) {
	u, err := s.Store.ResolveSocialLogin(ctx, req)
	if u != nil {
		s.userChanged(u.ID)
	}
	return u, err
}

// ConfirmTOTP: the user's snapshots carry SecondFactor.
func (s *coherentStore) ConfirmTOTP(ctx context.Context, userID, step int64, recoveryHashes []string, now time.Time) error {
	err := s.Store.ConfirmTOTP(ctx, userID, step, recoveryHashes, now)
	s.userChanged(userID)
	return err
}

// DisableTOTP: the user's snapshots carry SecondFactor.
func (s *coherentStore) DisableTOTP(ctx context.Context, userID int64, now time.Time) error {
	err := s.Store.DisableTOTP(ctx, userID, now)
	s.userChanged(userID)
	return err
}

// SetConfirmNewSignIns: the user's snapshots carry SecondFactor.
func (s *coherentStore) SetConfirmNewSignIns(ctx context.Context, userID int64, on bool, now time.Time) error {
	err := s.Store.SetConfirmNewSignIns(ctx, userID, on, now)
	s.userChanged(userID)
	return err
}

// AddPasskey: the user's snapshots carry SecondFactor.
func (s *coherentStore) AddPasskey(ctx context.Context, p *Passkey) error {
	err := s.Store.AddPasskey(ctx, p)
	s.userChanged(p.UserID)
	return err
}

// DeletePasskey: the user's snapshots carry SecondFactor.
func (s *coherentStore) DeletePasskey(ctx context.Context, userID, id int64, now time.Time) error {
	err := s.Store.DeletePasskey(ctx, userID, id, now)
	s.userChanged(userID)
	return err
}

// MarkSessionFresh: the session's snapshot and the user's list carry
// AuthenticatedAt.
func (s *coherentStore) MarkSessionFresh(ctx context.Context, userID, sessionID int64, now time.Time) (string, error) {
	hash, err := s.Store.MarkSessionFresh(ctx, userID, sessionID, now)
	if hash != "" {
		s.c.cache.drop(CredSession, hash)
	}
	s.c.lists.forgetUser(userID)
	return hash, err
}

// RedeemActionToken: every session of the account, and its snapshots (an
// email dispute puts the old address back).
func (s *coherentStore) RedeemActionToken(ctx context.Context, hash, purpose string, now time.Time) (*ActionToken, *User, []string, error) {
	t, u, hashes, err := s.Store.RedeemActionToken(ctx, hash, purpose, now)
	if u != nil {
		s.revoked(u.ID, hashes)
		s.userChanged(u.ID)
	}
	return t, u, hashes, err
}
