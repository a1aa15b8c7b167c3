package app

import (
	"strings"
	"time"
)

// User is an account with the Creator profile fields the auth payload and
// settings need (the original split them over auth.User and Creator).
type User struct {
	ID          int64
	Username    string
	Email       string
	Password    string // argon2id or Django hash string; never sent
	FirstName   string
	LastName    string
	IsActive    bool
	Disabled    bool // deactivated by an admin (not merely pending)
	IsStaff     bool
	IsSuperuser bool
	DateJoined  time.Time

	Motto                string
	SocialLink           string
	ImageURL             string
	EditorMode           string
	ThemePreset          string
	ThemeMode            string
	APIBaseURL           string
	AppSettingsJSON      string
	AppSettingsUpdatedAt *time.Time
	APIKeyPrefix         string // "" when no key has been minted
	// SecondFactor is set while the account has a second factor (confirmed
	// TOTP or "confirm new sign-ins"); only the second-factor writes of
	// SecondFactorStore change it.
	SecondFactor bool
}

// Profile defaults (the original's model defaults).
const (
	DefaultEditorMode  = "P"
	DefaultThemePreset = "teal"
	DefaultThemeMode   = "S"
	DefaultAPIBaseURL  = "http://localhost:9080/api/v1"
)

// NewUser returns a user with the profile defaults filled in.
func NewUser(username, email string, now time.Time) *User {
	return &User{
		Username:    username,
		Email:       email,
		DateJoined:  now,
		EditorMode:  DefaultEditorMode,
		ThemePreset: DefaultThemePreset,
		ThemeMode:   DefaultThemeMode,
		APIBaseURL:  DefaultAPIBaseURL,
	}
}

// DisplayName is "first last" trimmed, or the username when that is empty.
func (u *User) DisplayName() string {
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return u.Username
}

// HasUsablePassword reports whether the password can ever match (OAuth-made
// accounts get Django's "!" unusable marker).
func (u *User) HasUsablePassword() bool {
	return u.Password != "" && !strings.HasPrefix(u.Password, "!")
}
