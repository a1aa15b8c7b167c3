package api

import (
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
)

// Sign-in messages (CONTRACT 1.3 #5).
const (
	msgLoginIdentifierRequired = "Sign-in rejected: Backend.Creators.Auth/login — either email or username is required in the login payload."
	msgLoginMismatch           = "Sign-in rejected: Backend.Creators.Auth/login — email/username and password do not match any active account."
)

// handleLogin is POST auth/login/.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	ident, _ := in.str("identifier", field{})
	email, _ := in.str("email", field{})
	pw, _ := in.str("password", field{required: true})
	if err := in.err(); err != nil {
		return err
	}
	if ident == "" {
		ident = email
	}
	if ident = strings.TrimSpace(ident); ident == "" {
		return app.NonFieldError(msgLoginIdentifierRequired)
	}
	u, err := s.lookupLogin(r, ident)
	if err != nil {
		return err
	}
	// One budget per account, whichever identifier (email or username)
	// names it; unknown identifiers get their own.
	accountKey := loginThrottleKey(ident)
	if u != nil {
		accountKey = accountThrottleKey(u.ID)
	}
	// Reserve before the ~25 ms hash: the client network's failure budget,
	// then the account's. A correct password gives both back.
	_, unlocked, err := s.budgets.loginAccount.check(r, accountKey)
	if err != nil {
		return err
	}
	netKey := "ip:" + clientNet(s.clientIP(r))
	retry, ok, netClean, err := s.budgets.loginIP.takeClean(r, netKey)
	if err != nil {
		return err
	} else if !ok {
		if u != nil {
			s.loginFailed(r, u.ID, app.ReasonThrottled, "")
		}
		return s.throttled(retry)
	}
	ipRes := reservation{{s.budgets.loginIP, netKey}}
	acctRes, err := s.take(r, charge{s.budgets.loginAccount, accountKey})
	if err != nil {
		// The account is locked by failures. A client whose network had
		// no failure when the account was already locked may still try,
		// from a second budget of the account that a guesser can only
		// spend from as many fresh networks: one failure every 90 s from
		// elsewhere does not lock the owner out, and the guesser stays
		// throttled. (A network's own burst cannot reach the second
		// budget: each request takes the network's budget before the
		// account's, so once the account is locked that network is not
		// clean any more.) A budget that could not be checked (503) is no
		// lock: no second try.
		cleanErr := err
		if app.ErrorCode(err) == app.ERATELIMIT && netClean && !unlocked && s.budgets.loginIP.l.Enabled() {
			acctRes, cleanErr = s.take(r, charge{s.budgets.loginClean, accountKey})
		}
		if cleanErr != nil {
			ipRes.refund(r)
			if app.ErrorCode(cleanErr) != app.ERATELIMIT {
				return cleanErr
			}
			if u != nil {
				s.loginFailed(r, u.ID, app.ReasonThrottled, "")
			}
			return err
		}
	}
	ok = false
	if u == nil {
		// Unknown account: spend the same time as a real check.
		if err := s.hasher.DummyVerify(r.Context(), pw); err != nil {
			return app.Internal(err)
		}
	} else {
		var rehash bool
		ok, rehash, _ = s.hasher.Verify(r.Context(), pw, u.Password)
		ok = ok && u.IsActive
		if ok && rehash {
			if h, err := s.hasher.Hash(r.Context(), pw); err == nil {
				if _, err := s.store.SetPassword(r.Context(), u.ID, h, false, 0, s.now()); err != nil {
					s.log.Warn().Err(err).Int64("user_id", u.ID).Msg("password rehash failed")
				} else {
					u.Password = h
				}
			}
		}
	}
	if !ok {
		s.metrics.loginFailures.Add(1)
		if u != nil {
			// Recorded against the account the identifier named, so its
			// owner sees the attempts.
			s.loginFailed(r, u.ID, app.ReasonWrongPassword, "")
		}
		return app.NonFieldError(msgLoginMismatch) // the reservations stay spent
	}
	ipRes.refund(r)
	acctRes.refund(r)
	if s.needsSecondStep(u) {
		// Two-step sign-in (issue 14): no token until the second step.
		pending, err := s.startChallenge(r, u, u.Password)
		if err != nil {
			return err
		}
		writeSecret(w, http.StatusOK, pending)
		return nil
	}
	p, err := s.mintSessionFor(r, u, u.Password, app.MethodPassword)
	if app.ErrorCode(err) == app.ECONFLICT {
		// The password changed while it was being checked.
		return app.NonFieldError(msgLoginMismatch)
	} else if err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, p)
	return nil
}

// maxThrottleKeyLen bounds the identifier part of a login throttle key. No
// account can match a longer identifier (usernames have at most 150
// characters, emails 254), but the field itself is unbounded (up to the
// body limit), and every failing identifier is kept as a limiter key: a
// stream of distinct megabyte-long identifiers would otherwise pin up to
// DefaultMaxKeys megabytes.
const maxThrottleKeyLen = 256

// loginThrottleKey is the per-account failure budget key of an identifier:
// case-insensitive, and a digest for identifiers too long to be an account.
func loginThrottleKey(ident string) string {
	k := strings.ToLower(ident)
	if len(k) > maxThrottleKeyLen {
		return "login#" + app.HashHex(k)
	}
	return "login:" + k
}

// accountThrottleKey is the failure budget of an existing account.
func accountThrottleKey(userID int64) string { return "user:" + itoa(userID) }

// lookupLogin finds the account of a sign-in identifier: by email first,
// then by username, both case-insensitively. nil when none matches.
func (s *Server) lookupLogin(r *http.Request, ident string) (*app.User, error) {
	u, err := s.store.UserByEmail(r.Context(), ident)
	if app.ErrorCode(err) == app.ENOTFOUND {
		u, err = s.store.UserByUsername(r.Context(), ident)
	}
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, nil
	}
	return u, err
}
