package api

import (
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
	"notechondria-auth/mail"
	"notechondria-auth/password"
)

// Registration and verification messages (CONTRACT #1-#4).
const (
	msgRegPolicy       = "Registration rejected: Backend.Creators.Auth/register.validate_password — password must contain at least one uppercase letter, one lowercase letter, and one digit or special character."
	msgRegGate         = "Registration rejected: Backend.Creators.Auth/register.validate — an invitation code is required because this instance has at least one active invitation gate."
	msgVerifyCode      = "Email verification failed: Backend.Creators.Auth/verify — verification code is invalid, expired, or already consumed."
	msgResendNoAccount = "Verification code not resent: Backend.Creators.Auth/resend_verification — no account found for this email."
	msgResendVerified  = "Verification code not resent: Backend.Creators.Auth/resend_verification — this account is already verified."
	msgResendCooldown  = "Verification code not resent: Backend.Creators.Auth/resend_verification — cooldown is active; wait 60 seconds before requesting a new code."
)

// handleRegister is POST auth/register/ (201). Re-registering a pending
// email never lets the second party's password be activated: see
// Registration and docs/COMPATIBILITY.md.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	username, uok := in.str("username", field{required: true, minLen: 3, maxLen: 150})
	if uok && !app.UsernameChars(username) {
		in.fail("username", "This value does not match the required pattern.")
		uok = false
	}
	email, eok := in.email("email", field{required: true})
	email = strings.ToLower(email)
	pw, pok := in.str("password", field{required: true, minLen: 8})
	invite, _ := in.str("invitation_code", field{allowBlank: true})
	if pok && !password.MeetsPolicy(pw) {
		in.fail("password", msgRegPolicy)
	}
	// The pending account of this email (if any) may keep its username.
	var pending *app.User
	if eok {
		u, err := s.store.UserByEmail(ctx, email)
		switch {
		case err == nil && (u.IsActive || u.Disabled):
			in.fail("email", app.MsgEmailTaken)
		case err == nil:
			pending = u
		case app.ErrorCode(err) != app.ENOTFOUND:
			return err
		}
	}
	if uok {
		except := int64(0)
		if pending != nil {
			except = pending.ID
		}
		if taken, err := s.store.UsernameInUse(ctx, username, except); err != nil {
			return err
		} else if taken {
			in.fail("username", app.MsgUsernameTaken)
		}
	}
	var inviteHash string
	if invite != "" {
		inviteHash = app.CodeHash(invite)
		if ok, err := s.store.InvitationValid(ctx, inviteHash, s.now()); err != nil {
			return err
		} else if !ok {
			in.fail("invitation_code", app.MsgInvitationInvalid)
		}
	}
	if err := in.err(); err != nil {
		return err
	}
	if invite == "" {
		if gate, err := s.store.InvitationGate(ctx); err != nil {
			return err
		} else if gate {
			return app.FieldError("invitation_code", msgRegGate)
		}
	}
	budget, err := s.take(r, s.anonMail(email))
	if err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		budget.refund(r)
		return app.Internal(err)
	}
	plain, err := app.RandomCode(s.rand)
	if err != nil {
		return app.Internal(err)
	}
	now := s.now()
	reg := &app.Registration{Username: username, Email: email, PasswordHash: hash,
		InvitationHash: inviteHash, Now: now, Recheck: true, APIBaseURL: s.apiBaseURL(r),
		Code: &app.Code{CodeHash: app.CodeHash(plain), Usage: app.CodeRegister, Function: email, MaxUse: 1,
			CreatedAt: now, ExpireAt: now.Add(s.cfg.CodeTTL)}}
	for attempt := 0; ; attempt++ {
		reg.SamePassword, reg.PendingID, reg.PendingHash = false, 0, ""
		if pending != nil {
			reg.PendingID, reg.PendingHash = pending.ID, pending.Password
			reg.SamePassword, _, _ = s.hasher.Verify(ctx, pw, pending.Password)
		}
		_, err := s.store.Register(ctx, reg)
		if app.ErrorCode(err) != app.ECONFLICT || attempt > 0 {
			if err != nil {
				budget.refund(r)
				return err
			}
			break
		}
		// The pending account appeared or changed after we compared
		// passwords (the same form sent twice at once, usually): look
		// again. A second change is treated as a different password.
		reg.Recheck = false
		switch u, err := s.store.UserByEmail(ctx, email); {
		case err == nil && !u.IsActive && !u.Disabled:
			pending = u
		case err == nil || app.ErrorCode(err) == app.ENOTFOUND:
			pending = nil // an active account is reported by Register
		default:
			return err
		}
	}
	res := s.send(r, mail.Registration, email, plain, "")
	writeDelivery(w, http.StatusCreated, res, "email", email)
	return nil
}

// handleValidateInvitation is POST auth/validate-invitation/: always 200,
// never consumes.
func (s *Server) handleValidateInvitation(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	code, _ := in.str("invitation_code", field{allowBlank: true})
	if err := in.err(); err != nil {
		return err
	}
	gate, err := s.store.InvitationGate(r.Context())
	if err != nil {
		return err
	}
	valid := !gate
	if gate && code != "" {
		if valid, err = s.store.InvitationValid(r.Context(), app.CodeHash(code), s.now()); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]bool{"required": gate, "valid": valid})
	return nil
}

// handleVerifyEmail is POST auth/verify-email/: spends the code, activates
// the account and signs it in (auth payload).
func (s *Server) handleVerifyEmail(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	email, _ := in.email("email", field{required: true})
	code, _ := in.str("code", field{required: true})
	if err := in.err(); err != nil {
		return err
	}
	email = strings.ToLower(email)
	guess, err := s.take(r, s.guesses(r, email))
	if err != nil {
		return err
	}
	unusable, err := app.UnusablePassword(s.rand)
	if err != nil {
		return app.Internal(err)
	}
	u, err := s.store.VerifyEmail(r.Context(), email, app.CodeHash(code), s.codeAttemptsTotal(), s.now(), unusable)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.NonFieldError(msgVerifyCode)
	} else if err != nil {
		return err
	}
	guess.refund(r)
	p, err := s.mintSession(r, u, app.MethodEmail)
	if err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, p)
	return nil
}

// handleResendVerification is POST auth/resend-verification/ (60 s
// cooldown, computed as the original does from the newest live code).
func (s *Server) handleResendVerification(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	email, _ := in.email("email", field{required: true})
	if err := in.err(); err != nil {
		return err
	}
	email = strings.ToLower(email)
	u, err := s.store.UserByEmail(r.Context(), email)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.FieldError("email", msgResendNoAccount)
	} else if err != nil {
		return err
	} else if u.IsActive || u.Disabled {
		return app.FieldError("email", msgResendVerified)
	}
	now := s.now()
	if c, err := s.store.LatestCode(r.Context(), email, app.CodeRegister, now.Add(-s.cfg.ResendCooldown)); err == nil {
		if now.Sub(c.CreatedAt) < s.cfg.ResendCooldown {
			return app.FieldError("email", msgResendCooldown)
		}
	} else if app.ErrorCode(err) != app.ENOTFOUND {
		return err
	}
	budget, err := s.take(r, s.anonMail(email))
	if err != nil {
		return err
	}
	res, err := s.issueAndSend(r, budget, mail.Registration, email, email, app.CodeRegister, u.ID, "")
	if err != nil {
		return err
	}
	writeDelivery(w, http.StatusOK, res)
	return nil
}
