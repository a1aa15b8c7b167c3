// Package password hashes and verifies account passwords.
//
// New hashes are argon2id in the PHC string format
// ($argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, unpadded standard base64),
// with the parameters stored in the string so they can be raised later
// without invalidating old hashes. Verify also accepts the hashes a Django
// deployment leaves behind (pbkdf2_sha256, pbkdf2_sha1, md5 and Django's own
// argon2 format) and reports needsRehash for them, so callers can upgrade a
// hash on the next successful login.
//
// Hashing is memory hungry (19 MiB per argon2id call by default), so every
// hash and verify passes through a semaphore that bounds how many run at once;
// a login flood then queues instead of exhausting memory on a small machine.
package password

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
)

// Default argon2id parameters: the OWASP minimum recommendation
// (m=19 MiB, t=2, p=1) with a 32-byte key and a 16-byte salt.
const (
	DefaultTime      uint32 = 2
	DefaultMemoryKiB uint32 = 19 * 1024
	DefaultThreads   uint8  = 1
	DefaultKeyLen    uint32 = 32
	DefaultSaltLen          = 16
)

// Upper bounds on the cost a stored hash may ask for. They exist so that a
// corrupt or hostile hash string cannot make Verify allocate unbounded memory
// (argon2 allocates m KiB up front) or spin for minutes.
const (
	MaxMemoryKiB  uint32 = 1 << 20 // 1 GiB
	MaxTime       uint32 = 64
	MaxIterations        = 10_000_000
	maxKeyLen            = 1024
	maxSaltLen           = 1024
)

// Error is the type of this package's sentinel errors; being a string type
// they can be constants and still work with errors.Is.
type Error string

// Error implements the error interface.
func (e Error) Error() string { return string(e) }

// Sentinel errors returned by Verify. Callers treat both like a wrong
// password (and may log them: they mean the stored hash is unusable).
const (
	// ErrMalformed means the encoded hash could not be parsed or its
	// parameters are out of range.
	ErrMalformed = Error("password: malformed hash")
	// ErrUnsupported means the encoded hash names an algorithm or version
	// this package cannot verify.
	ErrUnsupported = Error("password: unsupported hash algorithm")
)

// Params are the argon2id parameters used for new hashes. Zero fields mean
// the defaults above.
type Params struct {
	Time      uint32 // passes over memory (t)
	MemoryKiB uint32 // memory in KiB (m)
	Threads   uint8  // lanes (p)
	KeyLen    uint32 // derived key length in bytes
	SaltLen   int    // random salt length in bytes
}

// DefaultParams returns the default argon2id parameters.
func DefaultParams() Params {
	return Params{
		Time:      DefaultTime,
		MemoryKiB: DefaultMemoryKiB,
		Threads:   DefaultThreads,
		KeyLen:    DefaultKeyLen,
		SaltLen:   DefaultSaltLen,
	}
}

// withDefaults fills zero fields and raises values argon2 would reject.
func (p Params) withDefaults() Params {
	d := DefaultParams()
	if p.Time == 0 {
		p.Time = d.Time
	}
	if p.MemoryKiB == 0 {
		p.MemoryKiB = d.MemoryKiB
	}
	if p.Threads == 0 {
		p.Threads = d.Threads
	}
	if p.KeyLen == 0 {
		p.KeyLen = d.KeyLen
	}
	if p.SaltLen <= 0 {
		p.SaltLen = d.SaltLen
	}
	p.Time = min(p.Time, MaxTime)
	p.MemoryKiB = min(max(p.MemoryKiB, 8*uint32(p.Threads)), MaxMemoryKiB)
	p.KeyLen = min(max(p.KeyLen, 4), maxKeyLen)
	p.SaltLen = min(max(p.SaltLen, 8), maxSaltLen)
	return p
}

// Hasher hashes and verifies passwords with a bound on concurrency. Build it
// with New; do not change its fields afterwards (the dummy hash used by
// DummyVerify is computed from them at construction). It is safe for
// concurrent use.
type Hasher struct {
	Params
	// Rand is the source of salts; nil means crypto/rand.Reader.
	Rand io.Reader

	sem   chan struct{}
	dummy string // argon2id hash of a fixed password, for DummyVerify
	runs  atomic.Uint64

	// Cost ceilings for stored hashes; constants in production, lowered by
	// the fuzz test so random inputs stay cheap.
	maxMemoryKiB  uint32
	maxTime       uint32
	maxIterations int
}

// Option configures a Hasher in New.
type Option func(*Hasher)

// WithParams sets the argon2id parameters for new hashes; zero fields keep
// their defaults.
func WithParams(p Params) Option {
	return func(h *Hasher) { h.Params = p }
}

// WithRand sets the salt source (tests inject a deterministic reader).
func WithRand(r io.Reader) Option {
	return func(h *Hasher) { h.Rand = r }
}

// New returns a Hasher that runs at most maxConcurrent hashes or verifies at
// a time (runtime.NumCPU() when maxConcurrent <= 0). It computes one argon2id
// hash up front for DummyVerify, so it takes as long as one Hash call.
func New(maxConcurrent int, opts ...Option) *Hasher {
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	h := &Hasher{
		Params:        DefaultParams(),
		sem:           make(chan struct{}, maxConcurrent),
		maxMemoryKiB:  MaxMemoryKiB,
		maxTime:       MaxTime,
		maxIterations: MaxIterations,
	}
	for _, o := range opts {
		o(h)
	}
	h.Params = h.Params.withDefaults()
	// The dummy only has to cost what a real verify costs: the salt is
	// fixed and the key all zeros, the hash of no password. Deriving a real
	// key here cost one argon2id hash (about 45 ms) at every start.
	salt := make([]byte, h.SaltLen)
	for i := range salt {
		salt[i] = byte(i)
	}
	h.dummy = encodeArgon2id(h.Params, salt, make([]byte, h.KeyLen))
	return h
}

func (h *Hasher) rand() io.Reader {
	if h.Rand == nil {
		return rand.Reader
	}
	return h.Rand
}

// acquire takes a semaphore slot, giving up when ctx is done first.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if h.sem == nil {
		h.runs.Add(1)
		return nil
	}
	select {
	case h.sem <- struct{}{}:
		h.runs.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Runs counts the hashes and verifies started (Hash, Verify, DummyVerify):
// for /metrics, and for tests that prove a budget stopped the work.
func (h *Hasher) Runs() uint64 { return h.runs.Load() }

func (h *Hasher) release() {
	if h.sem != nil {
		<-h.sem
	}
}

// Hash returns the argon2id PHC string for plain with a fresh random salt.
// It returns ctx.Err() if ctx is done before a slot is free, or the error of
// the random source.
func (h *Hasher) Hash(ctx context.Context, plain string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt := make([]byte, h.SaltLen)
	if _, err := io.ReadFull(h.rand(), salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	return encodeArgon2id(h.Params, salt, argon2idKey(plain, salt, h.Params)), nil
}

// Verify reports whether plain matches encoded, and whether encoded should
// be replaced by a fresh Hash (a Django hash, another argon2 variant, or
// argon2id parameters weaker than the Hasher's). needsRehash is only ever
// true together with ok.
//
// A Django unusable password ("!...") never matches and is not an error.
// A malformed or unsupported string gives false with ErrMalformed or
// ErrUnsupported. In both cases a dummy hash is still computed, so every
// call costs about the same. ctx.Err() is returned if ctx is done before a
// slot is free.
func (h *Hasher) Verify(ctx context.Context, plain, encoded string) (ok, needsRehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	ok, needsRehash, err = h.verify(plain, encoded)
	if err != nil || !isUsable(encoded) {
		_, _, _ = h.verify(plain, h.dummy)
		return false, false, err
	}
	return ok, ok && needsRehash, nil
}

// DummyVerify does the work of one Verify against a fixed argon2id hash and
// throws the result away. Call it when the user does not exist so that the
// response time does not reveal that. It returns ctx.Err() if ctx is done
// before a slot is free.
func (h *Hasher) DummyVerify(ctx context.Context, plain string) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	_, _, _ = h.verify(plain, h.dummy)
	return nil
}

// verify dispatches on the hash format; it never panics.
func (h *Hasher) verify(plain, encoded string) (ok, needsRehash bool, err error) {
	switch {
	case !isUsable(encoded):
		return false, false, nil
	case len(encoded) > 0 && encoded[0] == '$':
		return h.verifyPHC(plain, encoded, false)
	default:
		return h.verifyDjango(plain, encoded)
	}
}
