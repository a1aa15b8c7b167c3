package app

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// SecretsKeyBytes is the size of the secrets key (AES-256).
const SecretsKeyBytes = 32

// SealBox encrypts the secrets the server must read back (TOTP secrets)
// with AES-256-GCM under a key kept outside the database: a copy of the
// database alone yields ciphertext only. The sealed form is base64 of
// version byte 1, the 12-byte nonce and the ciphertext with its tag; the
// additional data binds it to its purpose and account, so a sealed secret
// moved to another account's row does not open.
type SealBox struct {
	aead cipher.AEAD
	rand io.Reader
}

// NewSealBox builds a box on a 32-byte key, drawing nonces from r. Errors:
// a key of the wrong size.
func NewSealBox(key []byte, r io.Reader) (*SealBox, error) {
	if len(key) != SecretsKeyBytes {
		return nil, fmt.Errorf("secrets key: %d bytes, want %d", len(key), SecretsKeyBytes)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &SealBox{aead: aead, rand: r}, nil
}

// Seal encrypts plain for context ad (e.g. "totp:42"). Errors: the nonce
// source's.
func (b *SealBox) Seal(plain, ad string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := io.ReadFull(b.rand, nonce); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	out := append([]byte{1}, nonce...)
	out = b.aead.Seal(out, nonce, []byte(plain), []byte(ad))
	return base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal made for the same ad. Errors: a damaged value, a
// different key or a different ad.
func (b *SealBox) Open(sealed, ad string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	n := b.aead.NonceSize()
	if err != nil || len(raw) < 1+n || raw[0] != 1 {
		return "", errors.New("sealed secret: malformed")
	}
	plain, err := b.aead.Open(nil, raw[1:1+n], raw[1+n:], []byte(ad))
	if err != nil {
		return "", errors.New("sealed secret: does not open with this key")
	}
	return string(plain), nil
}

// LoadSecretsKey reads the secrets key file at path (64 hex characters),
// creating it with mode 0600 from r when it does not exist and create is
// set. Errors: the file system's, a malformed file, or a missing file
// when create is not set.
func LoadSecretsKey(path string, create bool, r io.Reader) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		key := make([]byte, SecretsKeyBytes)
		if _, err := io.ReadFull(r, key); err != nil {
			return nil, fmt.Errorf("random: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadSecretsKey(path, false, r) // another process made it first
		} else if err != nil {
			return nil, fmt.Errorf("secrets key: %w", err)
		}
		_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return nil, fmt.Errorf("secrets key: %w", err)
		}
		return key, nil
	} else if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != SecretsKeyBytes {
		return nil, fmt.Errorf("secrets key %s: want %d hex characters", path, 2*SecretsKeyBytes)
	}
	return key, nil
}
