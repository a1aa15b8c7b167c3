package app

import (
	"fmt"
	"io"
	"strings"
)

// RecoveryCodeCount is how many recovery codes an account gets at a time.
const RecoveryCodeCount = 10

// recoveryAlphabet is Crockford's base32 (no I, L, O, U): easy to read
// aloud and to type from paper.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// NewRecoveryCodes draws RecoveryCodeCount codes of 16 characters (80
// bits each, shown as xxxx-xxxx-xxxx-xxxx) from r and returns them with
// their stored hashes. With 80 bits a plain SHA-256 is enough: no
// dictionary or brute force reaches a code from its hash. Errors: r's.
func NewRecoveryCodes(r io.Reader) (codes, hashes []string, err error) {
	buf := make([]byte, 10) // 80 bits = 16 base32 characters
	for i := 0; i < RecoveryCodeCount; i++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, nil, fmt.Errorf("random: %w", err)
		}
		var sb strings.Builder
		var acc uint64
		bits := 0
		n := 0
		for _, b := range buf {
			acc = acc<<8 | uint64(b)
			bits += 8
			for bits >= 5 {
				bits -= 5
				if n > 0 && n%4 == 0 {
					sb.WriteByte('-')
				}
				sb.WriteByte(recoveryAlphabet[(acc>>uint(bits))&31])
				n++
			}
		}
		c := sb.String()
		codes = append(codes, c)
		hashes = append(hashes, RecoveryHash(c))
	}
	return codes, hashes, nil
}

// RecoveryHash is the stored hash of a recovery code as the user typed it:
// case, spaces and dashes do not matter, and the letters Crockford's
// alphabet leaves out are read as the digits they look like.
func RecoveryHash(code string) string {
	var sb strings.Builder
	for _, c := range strings.ToLower(code) {
		switch {
		case c == '-' || c == ' ':
			continue
		case c == 'o':
			c = '0'
		case c == 'i' || c == 'l':
			c = '1'
		}
		sb.WriteRune(c)
	}
	return HashHex("recovery:" + sb.String())
}
