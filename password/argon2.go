package password

import (
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// phcVersion is the only argon2 version x/crypto implements (0x13).
const phcVersion = argon2.Version

func argon2idKey(plain string, salt []byte, p Params) []byte {
	return argon2.IDKey([]byte(plain), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
}

// encodeArgon2id formats the PHC string:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>.
func encodeArgon2id(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	var b strings.Builder
	b.WriteString("$argon2id$v=")
	b.WriteString(strconv.Itoa(phcVersion))
	b.WriteString("$m=")
	b.WriteString(strconv.FormatUint(uint64(p.MemoryKiB), 10))
	b.WriteString(",t=")
	b.WriteString(strconv.FormatUint(uint64(p.Time), 10))
	b.WriteString(",p=")
	b.WriteString(strconv.FormatUint(uint64(p.Threads), 10))
	b.WriteByte('$')
	b.WriteString(b64.EncodeToString(salt))
	b.WriteByte('$')
	b.WriteString(b64.EncodeToString(key))
	return b.String()
}

// phc is a parsed argon2 PHC string.
type phc struct {
	variant   string // "argon2id" or "argon2i"
	time, mem uint32
	threads   uint8
	salt, key []byte
}

// parsePHC parses $<variant>$v=19$m=..,t=..,p=..$<salt>$<hash>. The three
// parameters may come in any order but each exactly once.
func (h *Hasher) parsePHC(encoded string) (phc, error) {
	var out phc
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		// Five parts is the pre-1.3 format without "v=": version 0x10,
		// which x/crypto cannot compute.
		if len(parts) == 5 && parts[0] == "" {
			return out, ErrUnsupported
		}
		return out, ErrMalformed
	}
	out.variant = parts[1]
	if out.variant != "argon2id" && out.variant != "argon2i" {
		return out, ErrUnsupported
	}
	if parts[2] != "v="+strconv.Itoa(phcVersion) {
		if strings.HasPrefix(parts[2], "v=") {
			return out, ErrUnsupported
		}
		return out, ErrMalformed
	}
	var seen [3]bool
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, found := strings.Cut(kv, "=")
		if !found {
			return out, ErrMalformed
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || (len(v) > 1 && v[0] == '0') {
			return out, ErrMalformed
		}
		var i int
		switch k {
		case "m":
			i, out.mem = 0, uint32(n)
		case "t":
			i, out.time = 1, uint32(n)
		case "p":
			if n > 255 {
				return out, ErrMalformed
			}
			i, out.threads = 2, uint8(n)
		default:
			return out, ErrMalformed
		}
		if seen[i] {
			return out, ErrMalformed
		}
		seen[i] = true
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return out, ErrMalformed
	}
	if out.time < 1 || out.time > h.maxTime || out.threads < 1 ||
		out.mem < 8*uint32(out.threads) || out.mem > h.maxMemoryKiB {
		return out, ErrMalformed
	}
	var err error
	if out.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil ||
		len(out.salt) < 8 || len(out.salt) > maxSaltLen {
		return out, ErrMalformed
	}
	if out.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil ||
		len(out.key) < 4 || len(out.key) > maxKeyLen {
		return out, ErrMalformed
	}
	return out, nil
}

// verifyPHC checks plain against an argon2 PHC string. foreign marks a hash
// that came wrapped in another format (Django's "argon2$..."), which is
// always rehashed.
func (h *Hasher) verifyPHC(plain, encoded string, foreign bool) (ok, needsRehash bool, err error) {
	p, err := h.parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	var key []byte
	if p.variant == "argon2id" {
		key = argon2.IDKey([]byte(plain), p.salt, p.time, p.mem, p.threads, uint32(len(p.key)))
	} else {
		key = argon2.Key([]byte(plain), p.salt, p.time, p.mem, p.threads, uint32(len(p.key)))
	}
	ok = subtle.ConstantTimeCompare(key, p.key) == 1
	needsRehash = foreign || p.variant != "argon2id" ||
		p.mem < h.MemoryKiB || p.time < h.Time || p.threads < h.Threads ||
		uint32(len(p.key)) < h.KeyLen || len(p.salt) < h.SaltLen
	return ok, needsRehash, nil
}
