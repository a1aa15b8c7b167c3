package djangotest

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// Hash's PBKDF2 against the published PBKDF2-HMAC-SHA256 vectors (RFC 7914
// section 11 gives c=1; c=4096 is the common extension of RFC 6070).
func TestHash_KnownVectors(t *testing.T) {
	for _, c := range []struct {
		iterations int
		want       string
	}{
		{1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"},
		{2, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"},
		{4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"},
	} {
		h := Hash("password", "salt", c.iterations)
		parts := strings.Split(h, "$")
		if len(parts) != 4 || parts[0] != "pbkdf2_sha256" || parts[2] != "salt" {
			t.Fatalf("format: %q", h)
		}
		key, _ := base64.StdEncoding.DecodeString(parts[3])
		if got := hex.EncodeToString(key); got != c.want {
			t.Errorf("c=%d: %s, want %s", c.iterations, got, c.want)
		}
	}
}
