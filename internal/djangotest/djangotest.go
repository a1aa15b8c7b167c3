// Package djangotest builds Notechondria 0.1.65 Django databases for tests
// of the import: the schema of CONTRACT section 2 (testdata/django_0_1_65.sql)
// in a PostgreSQL database, and helpers that insert rows the way Django
// would have written them, with real pbkdf2_sha256 password hashes.
//
// It is for tests only; it imports the standard library and the pgx driver.
package djangotest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"notechondria-auth/internal/pgsql"
)

//go:embed testdata/django_0_1_65.sql
var schemaSQL string

// Schema returns the SQL that creates the Django tables.
func Schema() string { return schemaSQL }

// DB is a Django database under construction.
type DB struct {
	t   testing.TB
	URL string
	SQL *sql.DB
}

// New creates the Django tables in the empty database at url.
func New(t testing.TB, url string) *DB {
	t.Helper()
	conn, err := pgsql.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.Exec(schemaSQL); err != nil {
		t.Fatalf("djangotest: create the Django schema: %v", err)
	}
	return &DB{t: t, URL: url, SQL: conn}
}

// Exec runs a statement or fails the test.
func (d *DB) Exec(q string, args ...any) {
	d.t.Helper()
	if _, err := d.SQL.Exec(q, args...); err != nil {
		d.t.Fatalf("djangotest: %s: %v", q, err)
	}
}

func (d *DB) insert(q string, args ...any) int64 {
	d.t.Helper()
	var id int64
	if err := d.SQL.QueryRow(q+` RETURNING id`, args...).Scan(&id); err != nil {
		d.t.Fatalf("djangotest: %s: %v", q, err)
	}
	return id
}

// Hash is Django's PBKDF2PasswordHasher.encode:
// pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>, the salt
// used as text. PBKDF2 is written out here (RFC 8018, one block, as the key
// is exactly one SHA-256 output) rather than taken from the library the
// verifier under test uses.
func Hash(password, salt string, iterations int) string {
	mac := hmac.New(sha256.New, []byte(password))
	mac.Write([]byte(salt))
	mac.Write([]byte{0, 0, 0, 1}) // block index 1
	u := mac.Sum(nil)
	key := append([]byte(nil), u...)
	for i := 1; i < iterations; i++ {
		mac.Reset()
		mac.Write(u)
		u = mac.Sum(u[:0])
		for j := range key {
			key[j] ^= u[j]
		}
	}
	return "pbkdf2_sha256$" + strconv.Itoa(iterations) + "$" + salt + "$" + base64.StdEncoding.EncodeToString(key)
}

// RandomHex returns n random bytes as lowercase hex: secrets.token_hex(n).
func RandomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// SHA256Hex is sha256_hex(s), how Django stored API keys, IPs and codes.
func SHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// User is an auth_user row.
type User struct {
	Username, Email, Password      string
	FirstName, LastName            string
	IsActive, IsStaff, IsSuperuser bool
	DateJoined                     time.Time
}

// AddUser inserts u and returns its id.
func (d *DB) AddUser(u User) int64 {
	d.t.Helper()
	return d.insert(`INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
		email, is_staff, is_active, date_joined) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		u.Password, u.IsSuperuser, u.Username, u.FirstName, u.LastName, u.Email, u.IsStaff, u.IsActive, u.DateJoined)
}

// Creator is a creators_creator row; empty choices get the model defaults.
type Creator struct {
	UserID                                  int64
	Image, Motto, SocialLink                string // Motto and SocialLink "" are stored as NULL
	EditorMode, ThemePreset, ThemeMode, URL string
	APIKeyHash, APIKeyPrefix                string
	AppSettingsJSON                         string
	AppSettingsUpdatedAt                    *time.Time
}

// AddCreator inserts c and returns its id.
func (d *DB) AddCreator(c Creator) int64 {
	d.t.Helper()
	def := func(v, dflt string) string {
		if v == "" {
			return dflt
		}
		return v
	}
	null := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	return d.insert(`INSERT INTO creators_creator (user_id, image, motto, reputation, exp,
		credit_remains, social_link, editor_mode, theme_preset, theme_mode, api_base_url,
		api_key_hash, api_key_prefix, app_settings_json, app_settings_updated_at, last_login,
		date_joined) VALUES ($1,$2,$3,0,0,0,$4,$5,$6,$7,$8,$9,$10,$11,$12,now(),now())`,
		c.UserID, c.Image, null(c.Motto), null(c.SocialLink), def(c.EditorMode, "P"),
		def(c.ThemePreset, "teal"), def(c.ThemeMode, "S"), def(c.URL, "http://localhost:9080/api/v1"),
		c.APIKeyHash, c.APIKeyPrefix, c.AppSettingsJSON, c.AppSettingsUpdatedAt)
}

// Session is a creators_session row (Key in plaintext, as Django kept it).
type Session struct {
	UserID                              int64
	Key, DeviceLabel, UserAgent, IPHash string
	CreatedAt, LastSeenAt               time.Time
	RevokedAt                           *time.Time
}

// AddSession inserts s and returns its id.
func (d *DB) AddSession(s Session) int64 {
	d.t.Helper()
	return d.insert(`INSERT INTO creators_session (key, device_label, user_agent, ip_hash, created_at,
		last_seen_at, revoked_at, user_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
		s.Key, s.DeviceLabel, s.UserAgent, s.IPHash, s.CreatedAt, s.LastSeenAt, s.RevokedAt, s.UserID)
}

// Social is a creators_socialaccount row; ExtraData "" is {}.
type Social struct {
	UserID                          int64
	Provider, UID, Email, ExtraData string
	CreatedAt                       time.Time
}

// AddSocial inserts a and returns its id.
func (d *DB) AddSocial(a Social) int64 {
	d.t.Helper()
	if a.ExtraData == "" {
		a.ExtraData = "{}"
	}
	return d.insert(`INSERT INTO creators_socialaccount (provider, provider_uid, email, extra_data,
		created_at, user_id) VALUES ($1,$2,$3,$4::jsonb,$5,$6)`,
		a.Provider, a.UID, a.Email, a.ExtraData, a.CreatedAt, a.UserID)
}

// Invitation is a creators_invitationcode row; Code is hashed as Django's
// save() does.
type Invitation struct {
	Code, Label        string
	MaxUses, TimesUsed int
	ExpireAt           *time.Time
	CreatedAt          time.Time
}

// AddInvitation inserts inv and returns its id.
func (d *DB) AddInvitation(inv Invitation) int64 {
	d.t.Helper()
	return d.insert(`INSERT INTO creators_invitationcode (code_hash, label, max_uses, times_used,
		expire_date, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		SHA256Hex(inv.Code), inv.Label, inv.MaxUses, inv.TimesUsed, inv.ExpireAt, inv.CreatedAt)
}

// Code is a creators_verificationcode row; Code is the 6-digit plaintext.
type Code struct {
	Code, Usage, Function string
	MaxUse                int
	ExpireAt              time.Time
}

// AddCode inserts c and returns its id.
func (d *DB) AddCode(c Code) int64 {
	d.t.Helper()
	return d.insert(`INSERT INTO creators_verificationcode (code, expire_date, usage, function, max_use)
		VALUES ($1,$2,$3,$4,$5)`, SHA256Hex(c.Code), c.ExpireAt, c.Usage, c.Function, c.MaxUse)
}
