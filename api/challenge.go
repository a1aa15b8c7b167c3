package api

import (
	"crypto/subtle"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
	"notechondria-auth/mail"
)

// Two-step sign-in messages (CONTRACT 5 "Two-factor auth for password
// login", built as issue 14 pins it).
const (
	msgChallengeUnknown  = "Sign-in rejected: Backend.Creators.Auth/2fa — this sign-in challenge is unknown, expired, already used or ended by too many wrong answers, or it was started on another device; sign in again."
	msgChannelNotOffered = "Sign-in rejected: Backend.Creators.Auth/2fa — this channel is not offered for this sign-in."
	msgSecondFactorWrong = "Sign-in rejected: Backend.Creators.Auth/2fa — the code is not correct, has expired or was already used."
	msgPasskeyStepWrong  = "Sign-in rejected: Backend.Creators.Auth/2fa — the passkey's answer could not be verified, or the passkey step was not started (POST auth/2fa/challenge/ first); start it again."
	msgNoChannel         = "Sign-in rejected: Backend.Creators.Auth/2fa — this account has no second step it can use; ask an administrator."
)

// allChannels are the channel names the endpoints know.
var allChannels = []string{app.MethodTOTP, app.MethodPasskey, app.MethodDevice, app.MethodEmail, app.MethodRecovery}

// needsSecondStep reports whether a password sign-in of u is two-step.
func (s *Server) needsSecondStep(u *app.User) bool {
	return u.SecondFactor || s.cfg.RequireSecondFactor
}

// channelsFor lists what a password sign-in of u would offer now, in the
// wire order: "totp" when confirmed, "passkey" with a passkey, "device" when "confirm new sign-ins"
// is on (or --require-second-factor) and otherLive (the account has a live
// session to approve from), "email" when "confirm new sign-ins" is on (or,
// under --require-second-factor, when the account has nothing else),
// "recovery" while unused recovery codes remain.
func (s *Server) channelsFor(u *app.User, f *app.SecondFactors, otherLive bool) []string {
	have := map[string]bool{}
	have[app.MethodTOTP] = f.TOTPConfirmed
	have[app.MethodPasskey] = f.Passkeys > 0
	have[app.MethodDevice] = otherLive && (f.ConfirmNewSignIns || s.cfg.RequireSecondFactor)
	have[app.MethodEmail] = u.Email != "" && (f.ConfirmNewSignIns || (s.cfg.RequireSecondFactor && !f.TOTPConfirmed))
	have[app.MethodRecovery] = f.TOTPConfirmed && f.RecoveryLeft > 0
	return app.OrderChannels(have)
}

// pendingJSON is the answer of a correct password when a second step is
// needed.
type pendingJSON struct {
	Pending2FA  bool     `json:"pending_2fa"`
	ChallengeID string   `json:"challenge_id"`
	Channels    []string `json:"channels"`
	ExpiresAt   string   `json:"expires_at"`
}

// startChallenge makes the pending sign-in of u, whose password (hash
// passwordHash) the caller verified, bound to this client.
func (s *Server) startChallenge(r *http.Request, u *app.User, passwordHash string) (*pendingJSON, error) {
	f, err := s.store.SecondFactors(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	live, err := s.core.CountOtherLive(r.Context(), u.ID, 0)
	if err != nil {
		return nil, err
	}
	channels := s.channelsFor(u, f, live > 0)
	if len(channels) == 0 {
		return nil, app.NonFieldError(msgNoChannel)
	}
	id, err := app.RandomHex(s.rand, 32) // 256 bits
	if err != nil {
		return nil, app.Internal(err)
	}
	now := s.now()
	c := &app.Challenge{IDHash: app.HashHex(id), UserID: u.ID, IPHash: s.ipHash(s.clientIP(r)),
		UserAgent: app.TruncateRunes(r.Header.Get("User-Agent"), 512), Channels: channels,
		FirstFactor: app.MethodPassword, PasswordHash: passwordHash,
		CreatedAt: now, ExpiresAt: now.Add(app.ChallengeLifetime)}
	a := s.audit(r).Add(u.ID, app.EventSecondStepRequired, map[string]any{"channels": channels})
	if err := s.store.CreateChallenge(audited(r, a), c); err != nil {
		return nil, err
	}
	return &pendingJSON{Pending2FA: true, ChallengeID: id, Channels: channels, ExpiresAt: isoTime(c.ExpiresAt)}, nil
}

// liveChallenge reads the challenge the request names and checks that it
// can be answered by this client: live, and started from the same IP hash
// and User-Agent. Anything else is the same field error, so the answer
// tells a guesser nothing.
func (s *Server) liveChallenge(r *http.Request, id string) (*app.Challenge, error) {
	unknown := app.FieldError("challenge_id", msgChallengeUnknown)
	c, err := s.store.ChallengeByHash(r.Context(), app.HashHex(id))
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, unknown
	} else if err != nil {
		return nil, err
	}
	sameIP := subtle.ConstantTimeCompare([]byte(c.IPHash), []byte(s.ipHash(s.clientIP(r)))) == 1
	sameUA := c.UserAgent == app.TruncateRunes(r.Header.Get("User-Agent"), 512)
	if !c.Live(s.now()) || !sameIP || !sameUA {
		return nil, unknown
	}
	if c.DeviceState == app.DeviceDenied {
		return nil, app.Detail(app.EFORBIDDEN, msgDeviceDenied)
	}
	return c, nil
}

// answerable reports the body's field errors, then reads the live
// challenge id names for this client (liveChallenge).
func (s *Server) answerable(r *http.Request, in *input, id string) (*app.Challenge, error) {
	if err := in.err(); err != nil {
		return nil, err
	}
	return s.liveChallenge(r, id)
}

// challengeFields reads the challenge_id and channel (both required) of a
// two-step request; the caller reads its other fields, then in.err().
func challengeFields(r *http.Request) (in *input, id, channel string, err error) {
	if in, err = decodeBody(r); err != nil {
		return nil, "", "", err
	}
	id, _ = in.str("challenge_id", field{required: true})
	channel, _ = in.choiceField("channel", allChannels...)
	if !in.has("channel") {
		in.fail("channel", "This field is required.")
	}
	return in, id, channel, nil
}

// handleChallenge is POST auth/2fa/challenge/ {"challenge_id", "channel"}:
// starts an out-of-band step. "email" mails a 6-digit code to the account
// (the mail budget of identity codes, per account) and answers
// {"channel":"email","sent_to":"a***@example.com"}.
func (s *Server) handleChallenge(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, id, channel, err := challengeFields(r)
	if err != nil {
		return err
	}
	c, err := s.answerable(r, in, id)
	if err != nil {
		return err
	}
	switch {
	case !c.Offers(channel) || (channel != app.MethodDevice && channel != app.MethodPasskey && channel != app.MethodEmail):
		return app.FieldError("channel", msgChannelNotOffered)
	case channel == app.MethodDevice:
		return s.startDevice(w, r, c)
	case channel == app.MethodPasskey:
		return s.startPasskey(w, r, c)
	}
	u, err := s.store.UserByID(r.Context(), c.UserID)
	if err != nil {
		return err
	}
	res, err := s.take(r, charge{s.budgets.mailOwner, "login2fa:" + accountThrottleKey(u.ID)})
	if err != nil {
		return err
	}
	if _, err := s.issueAndSend(r, res, mail.SignIn, u.Email, app.FuncLoginChallenge(c.IDHash),
		app.CodeFunction, u.ID, ""); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"channel": app.MethodEmail, "sent_to": maskEmail(u.Email)})
	return nil
}

// handleVerify2FA is POST auth/2fa/verify/ {"challenge_id", "channel",
// "code"}: a right answer spends the challenge and the factor together and
// answers the auth payload of a new session; a wrong one counts against
// the challenge (5 end it) and, before the check, is charged to the
// account's and the client network's sign-in failure budgets, so guessing
// across fresh challenges is bounded as password guessing is.
func (s *Server) handleVerify2FA(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, id, channel, err := challengeFields(r)
	if err != nil {
		return err
	}
	var code string
	var credential []byte
	if channel == app.MethodPasskey {
		credential, _ = in.object("credential", true)
	} else {
		code, _ = in.str("code", field{required: channel != app.MethodDevice})
	}
	c, err := s.answerable(r, in, id)
	if err != nil {
		return err
	}
	if channel == app.MethodDevice && c.Offers(channel) {
		return s.verifyDevice(w, r, c)
	}
	if !c.Offers(channel) || channel == app.MethodDevice {
		return app.FieldError("channel", msgChannelNotOffered)
	}
	netKey := "ip:" + clientNet(s.clientIP(r))
	res, err := s.take(r, charge{s.budgets.loginIP, netKey}, charge{s.budgets.loginAccount, accountThrottleKey(c.UserID)})
	if app.ErrorCode(err) == app.ERATELIMIT {
		s.loginFailed(r, c.UserID, app.ReasonThrottled, channel)
	}
	if err != nil {
		return err
	}
	var step *app.SecondStep
	switch channel {
	case app.MethodEmail:
		step = &app.SecondStep{UserID: c.UserID, EmailCodeHash: app.CodeHash(code),
			EmailFunction: app.FuncLoginChallenge(c.IDHash), MaxAttempts: app.ChallengeMaxFailures, Now: s.now()}
	case app.MethodPasskey:
		step, err = s.passkeyStep(r, c, credential)
	default:
		step, err = s.secondStep(r, c.UserID, channel, code)
	}
	if err != nil {
		res.refund(r)
		return err
	}
	if step == nil {
		return s.wrongAnswer(r, c, channel)
	}
	approved := s.audit(r).Add(c.UserID, app.EventSecondStepApproved, map[string]any{"channel": channel})
	if err := s.store.CompleteChallenge(audited(r, approved), c.IDHash, *step); err != nil {
		// ENOTFOUND: the challenge was spent meanwhile, or no such recovery
		// or mailed code; ECONFLICT: a TOTP replay. Both are wrong answers.
		if ec := app.ErrorCode(err); ec != app.ENOTFOUND && ec != app.ECONFLICT {
			return err
		}
		return s.wrongAnswer(r, c, channel)
	}
	res.refund(r)
	return s.finishChallenge(w, r, c, channel)
}

// finishChallenge answers the auth payload of a new session for the spent
// challenge c, answered on channel.
func (s *Server) finishChallenge(w http.ResponseWriter, r *http.Request, c *app.Challenge, channel string) error {
	u, err := s.store.UserByID(r.Context(), c.UserID)
	if err != nil {
		return err
	}
	if !u.IsActive {
		return app.NonFieldError(msgLoginMismatch)
	}
	p, err := s.mintSessionFor(r, u, c.PasswordHash, c.FirstFactor, channel)
	if app.ErrorCode(err) == app.ECONFLICT {
		// The password changed since the first step.
		return app.NonFieldError(msgLoginMismatch)
	} else if err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, p)
	return nil
}

// wrongAnswer counts a wrong answer on channel against the challenge (the
// budgets stay spent), recorded as a failed sign-in in the same
// transaction, and answers the field error: on "credential" for a passkey,
// else on "code".
func (s *Server) wrongAnswer(r *http.Request, c *app.Challenge, channel string) error {
	s.metrics.loginFailures.Add(1)
	a := s.audit(r).Add(c.UserID, app.EventLoginFailed,
		map[string]any{"reason": app.ReasonWrongSecondFactor, "channel": channel})
	if _, err := s.store.FailChallenge(audited(r, a), c.IDHash); err != nil && app.ErrorCode(err) != app.ENOTFOUND {
		return err
	}
	if channel == app.MethodPasskey {
		return app.FieldError("credential", msgPasskeyStepWrong)
	}
	return app.FieldError("code", msgSecondFactorWrong)
}
