package password

import (
	"context"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// Django's password formats, as stored in auth_user.password.
const (
	// UnusablePrefix marks a password that can never match (Django's
	// UNUSABLE_PASSWORD_PREFIX), used for accounts created through OAuth.
	UnusablePrefix = "!"
	// unusableSuffixLen is Django's UNUSABLE_PASSWORD_SUFFIX_LENGTH.
	unusableSuffixLen = 40
	// DjangoIterations is Django 4.2's PBKDF2 iteration count, used by
	// HashDjango when given none.
	DjangoIterations = 600_000
	// djangoSaltLen is the length of Django 4.2's salts: 128 bits of entropy
	// over a 62-letter alphabet.
	djangoSaltLen = 22
	alphanumeric  = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// isUsable mirrors Django's is_password_usable for a stored string.
func isUsable(encoded string) bool {
	return !strings.HasPrefix(encoded, UnusablePrefix)
}

// Unusable returns a fresh unusable password: "!" followed by 40 random
// alphanumeric characters, exactly what Django's set_unusable_password
// stores. The random part only makes the value unique; should r (nil means
// crypto/rand.Reader) fail, crypto/rand is used instead.
func Unusable(r io.Reader) string {
	if r == nil {
		r = rand.Reader
	}
	s, err := randomAlphanumeric(r, unusableSuffixLen)
	if err != nil {
		s, _ = randomAlphanumeric(rand.Reader, unusableSuffixLen)
	}
	return UnusablePrefix + s
}

// randomAlphanumeric draws n uniform characters from [a-zA-Z0-9], rejecting
// bytes >= 248 (4*62) so that no character is more likely than another.
func randomAlphanumeric(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b < 248 && len(out) < n {
				out = append(out, alphanumeric[b%62])
			}
		}
	}
	return string(out), nil
}

// HashDjango returns a Django pbkdf2_sha256 hash of plain
// (pbkdf2_sha256$<iterations>$<22-char salt>$<base64>), for deployments
// whose database is still read by Django. iterations <= 0 means
// DjangoIterations. It returns ctx.Err() if ctx is done before a slot is
// free, or the error of the random source.
func (h *Hasher) HashDjango(ctx context.Context, plain string, iterations int) (string, error) {
	if iterations <= 0 {
		iterations = DjangoIterations
	}
	iterations = min(iterations, MaxIterations)
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt, err := randomAlphanumeric(h.rand(), djangoSaltLen)
	if err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, plain, []byte(salt), iterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("password: pbkdf2: %w", err)
	}
	return "pbkdf2_sha256$" + strconv.Itoa(iterations) + "$" + salt + "$" +
		base64.StdEncoding.EncodeToString(key), nil
}

// verifyDjango checks the Django formats. Every success asks for a rehash.
func (h *Hasher) verifyDjango(plain, encoded string) (ok, needsRehash bool, err error) {
	algorithm, rest, found := strings.Cut(encoded, "$")
	switch {
	case algorithm == "pbkdf2_sha256" && found:
		ok, err = h.verifyPBKDF2(plain, rest, sha256.New, sha256.Size)
	case algorithm == "pbkdf2_sha1" && found:
		ok, err = h.verifyPBKDF2(plain, rest, sha1.New, sha1.Size)
	case algorithm == "md5" && found:
		// md5$<salt>$<hex>; "md5$$<hex>" is Django's unsalted MD5 and
		// falls out of the same formula with an empty salt.
		salt, digest, found := strings.Cut(rest, "$")
		if !found {
			return false, false, ErrMalformed
		}
		ok, err = verifyMD5(salt+plain, digest)
	case algorithm == "argon2" && found:
		// Django's Argon2PasswordHasher: "argon2" + a PHC string.
		return h.verifyPHC(plain, "$"+rest, true)
	case !found && len(encoded) == 2*md5.Size:
		// Django's UnsaltedMD5PasswordHasher: bare hex digest.
		ok, err = verifyMD5(plain, encoded)
	case found:
		return false, false, ErrUnsupported
	default:
		return false, false, ErrMalformed
	}
	return ok, true, err
}

// verifyPBKDF2 checks "<iterations>$<salt>$<base64 key>" the way Django's
// PBKDF2PasswordHasher does (key length = digest size, salt used as text).
func (h *Hasher) verifyPBKDF2(plain, rest string, newHash func() hash.Hash, size int) (bool, error) {
	parts := strings.SplitN(rest, "$", 3)
	if len(parts) != 3 || !isDigits(parts[0]) {
		return false, ErrMalformed
	}
	iterations, err := strconv.Atoi(parts[0])
	if err != nil || iterations < 1 || iterations > h.maxIterations {
		return false, ErrMalformed
	}
	want, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(want) != size {
		return false, ErrMalformed
	}
	got, err := pbkdf2.Key(newHash, plain, []byte(parts[1]), iterations, size)
	if err != nil {
		// Only FIPS 140-only mode refuses valid inputs (short salts).
		return false, ErrUnsupported
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// verifyMD5 compares md5(input) with a lowercase hex digest, as Django does
// (it compares the encoded strings, so uppercase hex never matches).
func verifyMD5(input, digest string) (bool, error) {
	if len(digest) != 2*md5.Size {
		return false, ErrMalformed
	}
	if _, err := hex.DecodeString(digest); err != nil {
		return false, ErrMalformed
	}
	sum := md5.Sum([]byte(input))
	got := hex.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(digest)) == 1, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
