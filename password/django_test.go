package password

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// refPBKDF2 is RFC 8018's PBKDF2, written out from the RFC so the package's
// use of crypto/pbkdf2 is checked against something independent of it.
func refPBKDF2(newHash func() hash.Hash, password, salt []byte, iter, keyLen int) []byte {
	var out []byte
	for block := uint32(1); len(out) < keyLen; block++ {
		mac := hmac.New(newHash, password)
		mac.Write(salt)
		mac.Write(binary.BigEndian.AppendUint32(nil, block))
		u := mac.Sum(nil)
		t := bytes.Clone(u)
		for i := 1; i < iter; i++ {
			mac.Reset()
			mac.Write(u)
			u = mac.Sum(u[:0])
			for j := range t {
				t[j] ^= u[j]
			}
		}
		out = append(out, t...)
	}
	return out[:keyLen]
}

func TestRefPBKDF2RFC7914(t *testing.T) {
	// RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64).
	want := "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" +
		"49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
	got := hex.EncodeToString(refPBKDF2(sha256.New, []byte("passwd"), []byte("salt"), 1, 64))
	if got != want {
		t.Fatalf("refPBKDF2 = %s, want %s", got, want)
	}
}

func TestVerifyDjangoPBKDF2Generated(t *testing.T) {
	h := newCheap(t, 1)
	tests := []struct {
		alg        string
		newHash    func() hash.Hash
		size       int
		plain      string
		salt       string
		iterations int
	}{
		{"pbkdf2_sha256", sha256.New, 32, "password", "seasalt", 1000},
		{"pbkdf2_sha256", sha256.New, 32, "Ünïcødé pässwörd", "aB3dE6gH9jK2mN5pQ8sT1v", 1},
		{"pbkdf2_sha256", sha256.New, 32, "", "salt", 2},
		{"pbkdf2_sha1", sha1.New, 20, "lètmein", "seasalt", 1000},
	}
	for _, tt := range tests {
		t.Run(tt.alg+"/"+tt.plain, func(t *testing.T) {
			key := refPBKDF2(tt.newHash, []byte(tt.plain), []byte(tt.salt), tt.iterations, tt.size)
			enc := tt.alg + "$" + strconv.Itoa(tt.iterations) + "$" + tt.salt + "$" +
				base64.StdEncoding.EncodeToString(key)
			ok, rehash, err := h.Verify(context.Background(), tt.plain, enc)
			if !ok || !rehash || err != nil {
				t.Fatalf("Verify(%q) = %v, %v, %v; want true, true, nil", enc, ok, rehash, err)
			}
			ok, rehash, err = h.Verify(context.Background(), tt.plain+"!", enc)
			if ok || rehash || err != nil {
				t.Fatalf("wrong password: Verify = %v, %v, %v", ok, rehash, err)
			}
		})
	}
}

func TestVerifyDjangoMD5Generated(t *testing.T) {
	h := newCheap(t, 1)
	for _, tt := range []struct{ plain, salt string }{
		{"password", "seasalt"}, {"Ünïcødé", "x"}, {"", "abc"},
	} {
		sum := md5.Sum([]byte(tt.salt + tt.plain))
		enc := "md5$" + tt.salt + "$" + hex.EncodeToString(sum[:])
		if ok, rehash, err := h.Verify(context.Background(), tt.plain, enc); !ok || !rehash || err != nil {
			t.Errorf("Verify(%q) = %v, %v, %v; want true, true, nil", enc, ok, rehash, err)
		}
	}
}

func TestHashDjango(t *testing.T) {
	h := newCheap(t, 1)
	ctx := context.Background()
	enc, err := h.HashDjango(ctx, "lètmein", 1000)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^pbkdf2_sha256\$1000\$([a-zA-Z0-9]{22})\$([A-Za-z0-9+/]{43}=)$`)
	m := re.FindStringSubmatch(enc)
	if m == nil {
		t.Fatalf("HashDjango = %q, does not match %s", enc, re)
	}
	want := base64.StdEncoding.EncodeToString(refPBKDF2(sha256.New, []byte("lètmein"), []byte(m[1]), 1000, 32))
	if m[2] != want {
		t.Fatalf("hash part = %s, want %s", m[2], want)
	}
	if ok, rehash, err := h.Verify(ctx, "lètmein", enc); !ok || !rehash || err != nil {
		t.Fatalf("Verify = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	if _, err := New(1, WithParams(cheap()), WithRand(strings.NewReader(""))).HashDjango(ctx, "x", 1); err == nil {
		t.Fatal("HashDjango with an empty Rand returned no error")
	}
}

func TestUnusable(t *testing.T) {
	re := regexp.MustCompile(`^![a-zA-Z0-9]{40}$`)
	// All-0xff input is rejected by the sampler until the zeros arrive.
	src := append(bytes.Repeat([]byte{0xff}, 100), make([]byte, 100)...)
	tests := []struct {
		name string
		r    func() *bytes.Reader
		want string
	}{
		{"zeros", func() *bytes.Reader { return bytes.NewReader(make([]byte, 100)) }, "!" + strings.Repeat("a", 40)},
		{"rejection sampling", func() *bytes.Reader { return bytes.NewReader(src) }, "!" + strings.Repeat("a", 40)},
		{"short reader falls back", func() *bytes.Reader { return bytes.NewReader([]byte{1}) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Unusable(tt.r())
			if !re.MatchString(got) {
				t.Fatalf("Unusable = %q, does not match %s", got, re)
			}
			if tt.want != "" && got != tt.want {
				t.Fatalf("Unusable = %q, want %q", got, tt.want)
			}
			if isUsable(got) {
				t.Fatalf("%q is usable", got)
			}
		})
	}
	if a, b := Unusable(nil), Unusable(nil); a == b || !re.MatchString(a) {
		t.Fatalf("Unusable(nil) gave %q and %q", a, b)
	}
}

func TestPolicy(t *testing.T) {
	tests := []struct {
		p      string
		ok     bool
		length int
	}{
		{"Strong1pw", true, 9},
		{"alllower1", false, 9},
		{"ALLUPPER1", false, 9},
		{"Abcdefgh", false, 8},
		{"Abcdefg h", true, 9},
		{"Éabcdef1", true, 8},
		{"éABCDEF!", true, 8},
		{"Abcdefg😀", true, 8},  // emoji is not alphabetic; one code point
		{"ǅabcdef1", false, 8}, // titlecase is neither upper nor lower
		{"Ⓐbcdefgh", true, 8},  // Other_Uppercase, and not alphabetic
		{"ABCDEFGª1", true, 9}, // Other_Lowercase
		{"Abc中文字符", false, 7},  // CJK letters are alphabetic
		{"Abc中文字符1", true, 8},
		{"", false, 0},
		{"12345678", false, 8},
	}
	for _, tt := range tests {
		t.Run(tt.p, func(t *testing.T) {
			if got := MeetsPolicy(tt.p); got != tt.ok {
				t.Errorf("MeetsPolicy(%q) = %v, want %v", tt.p, got, tt.ok)
			}
			if got := Length(tt.p); got != tt.length {
				t.Errorf("Length(%q) = %d, want %d", tt.p, got, tt.length)
			}
		})
	}
}
