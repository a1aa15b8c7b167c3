package api

import (
	"crypto/subtle"
	"io"
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
)

// Device approval messages (issue 14: approval from a signed-in device,
// with number matching).
const (
	msgDeviceNotStarted = "Sign-in rejected: Backend.Creators.Auth/2fa — ask for the device number first (POST auth/2fa/challenge/ with channel \"device\")."
	msgDeviceDenied     = "Sign-in rejected: Backend.Creators.Auth/2fa — this sign-in was denied on a signed-in device; sign in again."
	msgDeviceWrongNum   = "Sign-in denied: Backend.Creators.Auth/2fa — this is not the number the new device shows, so the sign-in was denied."
	msgPendingNotFound  = "Not found."
)

// deviceChoices draws the number a new device shows (10-99, from r) and
// the three distinct choices offered to a signed-in device, in random
// order, the number among them.
func deviceChoices(r io.Reader) (number string, choices []string, err error) {
	seen := map[int]bool{}
	nums := make([]int, 0, 3)
	b := make([]byte, 1)
	for len(nums) < 3 {
		if _, err := io.ReadFull(r, b); err != nil {
			return "", nil, err
		}
		if b[0] >= 180 { // 180 = 2*90: no modulo bias
			continue
		}
		n := 10 + int(b[0])%90
		if !seen[n] {
			seen[n] = true
			nums = append(nums, n)
		}
	}
	number = strconv.Itoa(nums[0])
	// Fisher-Yates with rejection sampling for the order.
	for i := len(nums) - 1; i > 0; i-- {
		limit := byte(256 - 256%(i+1))
		for {
			if _, err := io.ReadFull(r, b); err != nil {
				return "", nil, err
			}
			if b[0] < limit || limit == 0 {
				break
			}
		}
		j := int(b[0]) % (i + 1)
		nums[i], nums[j] = nums[j], nums[i]
	}
	for _, n := range nums {
		choices = append(choices, strconv.Itoa(n))
	}
	return number, choices, nil
}

// startDevice answers POST auth/2fa/challenge/ for channel "device":
// {"channel":"device","number":"NN"}. Asking again before an answer draws
// a new number (the old choices are replaced).
func (s *Server) startDevice(w http.ResponseWriter, r *http.Request, c *app.Challenge) error {
	number, choices, err := deviceChoices(s.rand)
	if err != nil {
		return app.Internal(err)
	}
	err = s.store.StartDeviceChallenge(r.Context(), c.IDHash, number, choices, s.now())
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.FieldError("challenge_id", msgChallengeUnknown)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"channel": app.MethodDevice, "number": number})
	return nil
}

// verifyDevice answers POST auth/2fa/verify/ for channel "device": 202
// {"pending": true} until a signed-in device answers, the auth payload
// once it approved (the challenge is spent with it), 403 once denied (the
// caller, liveChallenge, answers that).
func (s *Server) verifyDevice(w http.ResponseWriter, r *http.Request, c *app.Challenge) error {
	if c.DeviceNumber == "" {
		return app.FieldError("channel", msgDeviceNotStarted)
	}
	if c.DeviceState != app.DeviceApproved {
		writeJSON(w, http.StatusAccepted, map[string]bool{"pending": true})
		return nil
	}
	approved := s.audit(r).Add(c.UserID, app.EventSecondStepApproved, map[string]any{"channel": app.MethodDevice})
	err := s.store.CompleteChallenge(audited(r, approved), c.IDHash,
		app.SecondStep{UserID: c.UserID, DeviceApproval: true, Now: s.now()})
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.FieldError("challenge_id", msgChallengeUnknown)
	} else if err != nil {
		return err
	}
	return s.finishChallenge(w, r, c, app.MethodDevice)
}

// pendingSignInJSON is one entry of GET auth/2fa/pending/.
type pendingSignInJSON struct {
	ID           string   `json:"id"`
	DeviceLabel  string   `json:"device_label"`
	UserAgent    string   `json:"user_agent"`
	IPHashPrefix string   `json:"ip_hash_prefix"`
	CreatedAt    string   `json:"created_at"`
	Choices      []string `json:"choices"`
}

// handlePendingSignIns is GET auth/2fa/pending/ (session): the account's
// sign-ins waiting for a device approval, oldest first.
func (s *Server) handlePendingSignIns(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	list, err := s.store.PendingDeviceChallenges(r.Context(), a.User.ID, s.now())
	if err != nil {
		return err
	}
	out := make([]pendingSignInJSON, 0, len(list))
	for _, c := range list {
		prefix := c.IPHash
		if len(prefix) > 8 {
			prefix = prefix[:8]
		}
		out = append(out, pendingSignInJSON{ID: c.IDHash, DeviceLabel: app.DeviceLabel(c.UserAgent),
			UserAgent: c.UserAgent, IPHashPrefix: prefix, CreatedAt: isoTime(c.CreatedAt), Choices: c.DeviceChoices})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// pendingFor returns the account's pending device sign-in id, or 404 (for
// another account's, an expired, a spent or an answered one alike).
func (s *Server) pendingFor(r *http.Request, userID int64, id string) (*app.Challenge, error) {
	notFound := app.Detail(app.ENOTFOUND, msgPendingNotFound)
	c, err := s.store.ChallengeByHash(r.Context(), id)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}
	if c.UserID != userID || !c.Live(s.now()) || c.DeviceNumber == "" || c.DeviceState != "" {
		return nil, notFound
	}
	return c, nil
}

// handleApproveSignIn is POST auth/2fa/pending/<id>/approve/ {"number"}
// (session): the right number approves (204); a wrong one denies the
// sign-in, counts a wrong answer, and answers 400 with a field error on
// number, so a user who taps blindly ends the attempt (push fatigue).
func (s *Server) handleApproveSignIn(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
	a := authFrom(r.Context())
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	number, _ := in.str("number", field{required: true})
	if err := in.err(); err != nil {
		return err
	}
	c, err := s.pendingFor(r, a.User.ID, p.ByName("id"))
	if err != nil {
		return err
	}
	state := app.DeviceApproved
	if subtle.ConstantTimeCompare([]byte(number), []byte(c.DeviceNumber)) != 1 {
		state = app.DeviceDenied
	}
	if err := s.answer(r, a.User.ID, c, state, "wrong_number"); err != nil {
		return err
	}
	if state == app.DeviceDenied {
		s.metrics.loginFailures.Add(1)
		if _, err := s.store.FailChallenge(r.Context(), c.IDHash); err != nil && app.ErrorCode(err) != app.ENOTFOUND {
			return err
		}
		return app.FieldError("number", msgDeviceWrongNum)
	}
	noContent(w)
	return nil
}

// handleDenySignIn is POST auth/2fa/pending/<id>/deny/ (session): 204.
func (s *Server) handleDenySignIn(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
	a := authFrom(r.Context())
	c, err := s.pendingFor(r, a.User.ID, p.ByName("id"))
	if err != nil {
		return err
	}
	if err := s.answer(r, a.User.ID, c, app.DeviceDenied, "denied"); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// answer records a device's answer; a race lost to another answer or to
// expiry is the same 404. A denial (why: "denied" or "wrong_number") is a
// second_step.denied event in the same transaction; an approval is
// recorded when the new device spends it (verifyDevice).
func (s *Server) answer(r *http.Request, userID int64, c *app.Challenge, state, why string) error {
	ctx := r.Context()
	if state == app.DeviceDenied {
		ctx = audited(r, s.audit(r).Add(userID, app.EventSecondStepDenied,
			map[string]any{"channel": app.MethodDevice, "why": why}))
	}
	err := s.store.AnswerDeviceChallenge(ctx, userID, c.IDHash, state, s.now())
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.Detail(app.ENOTFOUND, msgPendingNotFound)
	}
	return err
}
