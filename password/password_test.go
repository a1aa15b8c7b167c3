package password

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// cheap returns argon2id parameters small enough for tests under -race.
func cheap() Params { return Params{Time: 1, MemoryKiB: 64, Threads: 1} }

func newCheap(t testing.TB, maxConcurrent int, opts ...Option) *Hasher {
	t.Helper()
	return New(maxConcurrent, append([]Option{WithParams(cheap())}, opts...)...)
}

// The reference vectors of the argon2 C implementation (src/test.c),
// password "password", salt "somesalt".
const (
	refArgon2id   = "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	refArgon2idP2 = "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"
	refArgon2i    = "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8"
)

func TestDefaults(t *testing.T) {
	h := New(0)
	want := Params{Time: 2, MemoryKiB: 19456, Threads: 1, KeyLen: 32, SaltLen: 16}
	if h.Params != want {
		t.Fatalf("params = %+v, want %+v", h.Params, want)
	}
	if cap(h.sem) < 1 {
		t.Fatalf("semaphore capacity %d", cap(h.sem))
	}
	enc, err := h.Hash(context.Background(), "Strong1pw")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(enc) {
		t.Fatalf("encoded %q does not match %s", enc, re)
	}
	ok, rehash, err := h.Verify(context.Background(), "Strong1pw", enc)
	if !ok || rehash || err != nil {
		t.Fatalf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestHashMatchesReferenceVector(t *testing.T) {
	h := New(1,
		WithParams(Params{Time: 2, MemoryKiB: 256, Threads: 1, KeyLen: 32, SaltLen: 8}),
		WithRand(strings.NewReader("somesalt")))
	got, err := h.Hash(context.Background(), "password")
	if err != nil {
		t.Fatal(err)
	}
	if got != refArgon2id {
		t.Fatalf("Hash = %q, want %q", got, refArgon2id)
	}
}

func TestHashRandError(t *testing.T) {
	h := newCheap(t, 1, WithRand(strings.NewReader("short")))
	if _, err := h.Hash(context.Background(), "x"); err == nil {
		t.Fatal("Hash with a failing Rand returned no error")
	}
}

func TestRoundTrip(t *testing.T) {
	h := newCheap(t, 2)
	ctx := context.Background()
	for _, pw := range []string{"Strong1pw", "", " ", "lètmein", "密码Pass1", strings.Repeat("long", 1000)} {
		enc, err := h.Hash(ctx, pw)
		if err != nil {
			t.Fatal(err)
		}
		enc2, _ := h.Hash(ctx, pw)
		if enc == enc2 {
			t.Errorf("%q: two hashes are equal; salt not random", pw)
		}
		if ok, rehash, err := h.Verify(ctx, pw, enc); !ok || rehash || err != nil {
			t.Errorf("%q: Verify = %v, %v, %v; want true, false, nil", pw, ok, rehash, err)
		}
		if ok, rehash, err := h.Verify(ctx, pw+"x", enc); ok || rehash || err != nil {
			t.Errorf("%q+x: Verify = %v, %v, %v; want false, false, nil", pw, ok, rehash, err)
		}
	}
}

func TestVerifyVectors(t *testing.T) {
	// Parameters equal to the vectors' so rehash is decided by the format.
	h := New(1, WithParams(Params{Time: 2, MemoryKiB: 256, Threads: 1, KeyLen: 32, SaltLen: 8}))
	tests := []struct {
		name, plain, encoded string
		ok, rehash           bool
	}{
		{"argon2id ref", "password", refArgon2id, true, false},
		{"argon2id ref wrong", "Password", refArgon2id, false, false},
		{"argon2id p=2 ref", "password", refArgon2idP2, true, false},
		{"argon2i ref rehash", "password", refArgon2i, true, true},
		{"django argon2 wrapper", "password", "argon2" + refArgon2id, true, true},
		{"django argon2 wrapper wrong", "passwor", "argon2" + refArgon2id, false, false},
		// Django's own test vectors (tests/auth_tests/test_hashers.py).
		{"django pbkdf2 lètmein", "lètmein", "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=", true, true},
		{"django pbkdf2 letmein", "letmein", "pbkdf2_sha256$10000$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=", true, true},
		{"django pbkdf2 wrong", "lètmeinz", "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=", false, false},
		{"django md5", "lètmein", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", true, true},
		{"django md5 letmein", "letmein", "md5$seasalt$f5531bef9f3687d0ccf0f617f0e25573", true, true},
		{"django md5 wrong", "lètmeinz", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", false, false},
		{"django md5 uppercase hex", "lètmein", "md5$seasalt$3F86D0D3D465B7B458C231BF3555C0E3", false, false},
		// md5("") and md5("password"), Django's unsalted forms.
		{"unsalted md5 $$", "", "md5$$d41d8cd98f00b204e9800998ecf8427e", true, true},
		{"unsalted md5 bare", "password", "5f4dcc3b5aa765d61d8327deb882cf99", true, true},
		{"unusable", "", "!", false, false},
		{"unusable random", "x", Unusable(nil), false, false},
		{"unusable looks like hash", "password", "!" + refArgon2id, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), tt.plain, tt.encoded)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if ok != tt.ok || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v; want %v, %v", ok, rehash, tt.ok, tt.rehash)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	weak := New(1, WithParams(Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 16, SaltLen: 8}))
	enc, err := weak.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	base := Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 16, SaltLen: 8}
	tests := []struct {
		name   string
		mod    func(*Params)
		rehash bool
	}{
		{"same", func(*Params) {}, false},
		{"stronger stored", func(p *Params) { p.KeyLen = 8 }, false},
		{"more memory", func(p *Params) { p.MemoryKiB = 128 }, true},
		{"more time", func(p *Params) { p.Time = 2 }, true},
		{"more threads", func(p *Params) { p.Threads = 2 }, true},
		{"longer key", func(p *Params) { p.KeyLen = 32 }, true},
		{"longer salt", func(p *Params) { p.SaltLen = 16 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			tt.mod(&p)
			h := New(1, WithParams(p))
			ok, rehash, err := h.Verify(ctx, "pw", enc)
			if !ok || err != nil || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.rehash)
			}
			// A failed verify never asks for a rehash.
			if ok, rehash, _ := h.Verify(ctx, "nope", enc); ok || rehash {
				t.Fatalf("wrong password: Verify = %v, %v", ok, rehash)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := newCheap(t, 1)
	tests := []struct {
		encoded string
		want    error
	}{
		{"", ErrMalformed},
		{"$", ErrMalformed},
		{"plaintext", ErrMalformed},
		{"$argon2id$", ErrMalformed},
		{"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ", ErrUnsupported}, // no version: 0x10
		{"$argon2d$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrUnsupported},
		{"$argon2id$v=16$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrUnsupported},
		{"$argon2id$x=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=256,t=2$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=256,t=2,p=1,m=256$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=256,t=2,p=1,k=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=256,t=0,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=256,t=2,p=0$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=256,t=2,p=256$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=7,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=256,t=4294967295,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=-1,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=0256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=256,t=2,p=1$c29tZQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed}, // 5-byte salt
		{"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ=$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", ErrMalformed},
		{"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$!!!", ErrMalformed},
		{"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$", ErrMalformed},
		{"argon2$", ErrMalformed},
		{"pbkdf2_sha256$", ErrMalformed},
		{"pbkdf2_sha256$10000$seasalt", ErrMalformed},
		{"pbkdf2_sha256$abc$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=", ErrMalformed},
		{"pbkdf2_sha256$+100$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=", ErrMalformed},
		{"pbkdf2_sha256$0$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=", ErrMalformed},
		{"pbkdf2_sha256$99999999999$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=", ErrMalformed},
		{"pbkdf2_sha256$99999999999999999999999$s$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=", ErrMalformed},
		{"pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7Hvkc", ErrMalformed},
		{"pbkdf2_sha256$10000$seasalt$not base64!", ErrMalformed},
		{"md5$seasalt", ErrMalformed},
		{"md5$seasalt$3f86", ErrMalformed},
		{"md5$seasalt$zz86d0d3d465b7b458c231bf3555c0e3", ErrMalformed},
		{"5f4dcc3b5aa765d61d8327deb882cfzz", ErrMalformed},
		{"bcrypt_sha256$$2b$12$abc", ErrUnsupported},
		{"sha1$seasalt$abc", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.encoded, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), "password", tt.encoded)
			if ok || rehash {
				t.Fatalf("Verify = %v, %v; want false, false", ok, rehash)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	h := New(1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "Strong1pw"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := New(1)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "Strong1pw")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, _ := h.Verify(ctx, "Strong1pw", enc); !ok {
			b.Fatal("no match")
		}
	}
}
