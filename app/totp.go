package app

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters (RFC 6238 with the defaults every authenticator app
// knows): HMAC-SHA-1, 6 digits, 30-second steps, a 160-bit secret, and one
// step of clock skew either way.
const (
	TOTPSecretBytes = 20
	TOTPDigits      = 6
	TOTPPeriod      = 30 * time.Second
	TOTPSkew        = 1
)

// b32 is the secret's text form: RFC 4648 base32 without padding, as
// otpauth URIs carry it.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret reads a fresh 160-bit secret from r and returns it as
// base32 text. Errors: r's.
func NewTOTPSecret(r io.Reader) (string, error) {
	b := make([]byte, TOTPSecretBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return b32.EncodeToString(b), nil
}

// TOTPStep is the RFC 6238 time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPCode is the code of secret (base32) at time step step.
func TOTPCode(secret string, step int64) (string, error) {
	key, err := b32.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return "", fmt.Errorf("totp secret: %w", err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000), nil
}

// MatchTOTP checks code against secret at now with TOTPSkew steps either
// way and returns the matching step (0 when none matches). Every candidate
// is computed and compared in constant time, so the answer's timing says
// nothing about which step matched. Replay protection is the caller's: a
// step at or before the account's last accepted step must be refused.
func MatchTOTP(secret, code string, now time.Time) (int64, error) {
	code = strings.TrimSpace(code)
	cur := TOTPStep(now)
	var found int64
	for d := int64(-TOTPSkew); d <= TOTPSkew; d++ {
		want, err := TOTPCode(secret, cur+d)
		if err != nil {
			return 0, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && found == 0 {
			found = cur + d
		}
	}
	return found, nil
}

// TOTPURI is the otpauth:// URI an authenticator app scans (the Key URI
// Format): issuer and account name label the entry.
func TOTPURI(issuer, account, secret string) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	return "otpauth://totp/" + label + "?" + q.Encode()
}
