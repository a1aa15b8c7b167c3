package app_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
)

// RFC 6238 appendix B, SHA-1 (the 8-digit values, last six digits).
func TestTOTP_Core_RFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		got, err := app.TOTPCode(secret, app.TOTPStep(time.Unix(tc.unix, 0)))
		if err != nil || got != tc.want {
			t.Errorf("T=%d: %q %v, want %q", tc.unix, got, err, tc.want)
		}
	}
}

// One step of skew either way, and no more; the window's edges.
func TestTOTP_Core_SkewWindow(t *testing.T) {
	secret, err := app.NewTOTPSecret(rand.Reader)
	if err != nil || len(secret) != 32 {
		t.Fatalf("secret %q %v", secret, err)
	}
	now := time.Unix(1_700_000_010, 0) // 10 s into a step
	cur := app.TOTPStep(now)
	for d, want := range map[int64]bool{-2: false, -1: true, 0: true, 1: true, 2: false} {
		code, _ := app.TOTPCode(secret, cur+d)
		step, err := app.MatchTOTP(secret, code, now)
		if err != nil || (step == cur+d) != want {
			t.Errorf("offset %d: step %d %v, want match %v", d, step, err, want)
		}
	}
	// The last second of a step and the first of the next: the previous
	// step's code still counts in the next step, not two steps on.
	start := time.Unix(cur*30, 0)
	code, _ := app.TOTPCode(secret, cur)
	for at, want := range map[time.Duration]bool{29 * time.Second: true, 59 * time.Second: true, 60 * time.Second: false, -30 * time.Second: true, -31 * time.Second: false} {
		step, _ := app.MatchTOTP(secret, code, start.Add(at))
		if (step == cur) != want {
			t.Errorf("at %v: step %d, want match %v", at, step, want)
		}
	}
	if step, _ := app.MatchTOTP(secret, "12345", now); step != 0 {
		t.Error("a 5-digit code matched")
	}
	uri := app.TOTPURI("Notechondria", "alice@example.com", secret)
	if !strings.HasPrefix(uri, "otpauth://totp/Notechondria:alice@example.com?") || !strings.Contains(uri, "secret="+secret) {
		t.Errorf("uri %q", uri)
	}
}

func TestSealBox_Core_RoundTripAndBinding(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	box, err := app.NewSealBox(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("JBSWY3DPEHPK3PXP", "totp:1")
	if err != nil || strings.Contains(sealed, "JBSWY3DPEHPK3PXP") {
		t.Fatalf("sealed %q %v", sealed, err)
	}
	if got, err := box.Open(sealed, "totp:1"); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := box.Open(sealed, "totp:2"); err == nil {
		t.Fatal("opened for another account")
	}
	other, _ := app.NewSealBox(bytes.Repeat([]byte{8}, 32), rand.Reader)
	if _, err := other.Open(sealed, "totp:1"); err == nil {
		t.Fatal("opened with another key")
	}
	if _, err := app.NewSealBox(key[:16], rand.Reader); err == nil {
		t.Fatal("a 128-bit key was accepted")
	}
}

func TestSecretsKey_Core_CreatedOnceWith0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db.keys")
	if _, err := app.LoadSecretsKey(path, false, rand.Reader); err == nil {
		t.Fatal("a missing key file was accepted without create")
	}
	k1, err := app.LoadSecretsKey(path, true, rand.Reader)
	if err != nil || len(k1) != 32 {
		t.Fatalf("create: %x %v", k1, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v, want 0600", st.Mode(), err)
	}
	k2, err := app.LoadSecretsKey(path, true, rand.Reader)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("the key changed on the second load")
	}
	os.WriteFile(path, []byte("short\n"), 0o600)
	if _, err := app.LoadSecretsKey(path, true, rand.Reader); err == nil {
		t.Fatal("a malformed key file was accepted")
	}
}

func TestRecoveryCodes_Core_FormatAndHash(t *testing.T) {
	codes, hashes, err := app.NewRecoveryCodes(rand.Reader)
	if err != nil || len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("%d codes %v", len(codes), err)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
		if app.RecoveryHash(strings.ToUpper(strings.ReplaceAll(c, "-", " "))) != hashes[i] {
			t.Fatalf("typed differently, %q does not hash the same", c)
		}
	}
}
