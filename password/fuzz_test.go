package password

import (
	"context"
	"errors"
	"testing"
)

// FuzzVerify checks that no stored string, however mangled, makes Verify
// panic, and that a non-nil error never comes with a match.
func FuzzVerify(f *testing.F) {
	for _, s := range []string{
		"", "!", "$", "$$$$$", refArgon2id, refArgon2i, "argon2" + refArgon2idP2,
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"pbkdf2_sha256$1000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=",
		"pbkdf2_sha1$10$s$AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", "md5$$d41d8cd98f00b204e9800998ecf8427e",
		"5f4dcc3b5aa765d61d8327deb882cf99",
	} {
		f.Add("password", s)
	}
	h := New(1, WithParams(cheap()))
	// Keep each random input cheap; the parser's range checks are the same.
	h.maxMemoryKiB, h.maxTime, h.maxIterations = 1024, 4, 20_000
	f.Fuzz(func(t *testing.T, plain, encoded string) {
		ok, rehash, err := h.Verify(context.Background(), plain, encoded)
		if err != nil && (ok || rehash) {
			t.Fatalf("Verify(%q) = %v, %v, %v", encoded, ok, rehash, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("Verify(%q): unexpected error %v", encoded, err)
		}
		if rehash && !ok {
			t.Fatalf("Verify(%q): rehash without match", encoded)
		}
	})
}
