package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Key formats (CONTRACT 2): session keys are 40 lowercase hex characters (20
// random bytes), API keys "ntc_" + 32 hex (16 bytes), codes 6 digits.
const (
	SessionKeyBytes = 20
	APIKeyBytes     = 16
	APIKeyPrefix    = "ntc_"
)

// HashHex is sha256_hex(s): how keys, codes and IPs are stored.
func HashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// RandomHex reads n bytes from r and returns them as lowercase hex.
func RandomHex(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// RandomCode returns a uniformly random 6-digit code (leading zeros kept),
// like f"{secrets.randbelow(1_000_000):06d}".
func RandomCode(r io.Reader) (string, error) {
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		// Rejection sampling keeps the distribution uniform.
		if v < 4294000000 {
			return fmt.Sprintf("%06d", v%1000000), nil
		}
	}
}

// UnusablePassword is Django's marker: "!" + 40 random characters.
func UnusablePassword(r io.Reader) (string, error) {
	h, err := RandomHex(r, 20)
	return "!" + h, err
}

// CodeHash hashes a user-typed code as the original did: sha256(strip(code)).
func CodeHash(code string) string { return HashHex(strings.TrimSpace(code)) }

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
