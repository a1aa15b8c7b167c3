package djimport

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"notechondria-auth/app"
)

// targetIndex finds the target's accounts by id, by username and by
// (email, date joined), kept up to date as the import adds accounts.
type targetIndex struct {
	byID     map[int64]*app.User
	byName   map[string]*app.User
	byJoined map[string]*app.User
}

func newTargetIndex() *targetIndex {
	return &targetIndex{byID: map[int64]*app.User{}, byName: map[string]*app.User{}, byJoined: map[string]*app.User{}}
}

// foldASCII lowercases ASCII letters only, as the target's username and
// email columns compare (COLLATE NOCASE; docs/COMPATIBILITY.md 27).
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func joinedKey(email string, joined time.Time) string {
	return foldASCII(email) + "\x00" + strconv.FormatInt(joined.UnixMicro(), 10)
}

func (ix *targetIndex) load(ctx context.Context, store app.Store) error {
	users, err := store.ListUsers(ctx)
	if err != nil {
		return fmt.Errorf("read the target's accounts: %w", err)
	}
	for _, u := range users {
		ix.add(u)
	}
	return nil
}

func (ix *targetIndex) add(u *app.User) {
	ix.byID[u.ID] = u
	ix.byName[foldASCII(u.Username)] = u
	ix.byJoined[joinedKey(u.Email, u.DateJoined)] = u
}

// match finds the target account that is this Django user, imported by an
// earlier run: the same date_joined to the microsecond, and the same id
// (the import keeps ids), or the same username, or the same email. Failing
// that, conflict says why the user cannot be imported (SkipIDTaken,
// SkipUsernameTaken; "" when it can) and holder is the account in the way.
func (ix *targetIndex) match(d *djUser) (same *app.User, conflict string, holder *app.User) {
	if u := ix.byID[d.ID]; u != nil {
		if u.DateJoined.Equal(d.DateJoined) {
			return u, "", nil
		}
		return nil, SkipIDTaken, u
	}
	if u := ix.byName[foldASCII(d.Username)]; u != nil {
		if u.DateJoined.Equal(d.DateJoined) {
			return u, "", nil
		}
		return nil, SkipUsernameTaken, u
	}
	if u := ix.byJoined[joinedKey(strings.ToLower(d.Email), d.DateJoined)]; u != nil {
		return u, "", nil
	}
	return nil, "", nil
}

// importUsers imports auth_user with each user's first Creator row.
func (im *importer) importUsers(ctx context.Context) error {
	creators, err := readCreators(ctx, im.src)
	if err != nil {
		return err
	}
	if im.djUsers, err = readUsers(ctx, im.src); err != nil {
		return err
	}
	if err := im.targets.load(ctx, im.dst); err != nil {
		return err
	}
	ut, ct := im.rep.Table(TableUsers), im.rep.Table(TableCreators)
	ct.Read = len(creators)
	first := map[int64]*djCreator{}
	for _, c := range creators {
		// Creator.user is a ForeignKey, not OneToOne: get_or_create
		// finds the oldest row, so that is the profile.
		if first[c.UserID] != nil {
			ct.skip(SkipSecondCreator)
			continue
		}
		first[c.UserID] = c
	}
	for _, d := range im.djUsers {
		ut.Read++
		d.creator = first[d.ID]
		reason, err := im.importUser(ctx, d)
		if err != nil {
			return err
		}
		if reason == "" {
			ut.Imported++
		} else {
			ut.skip(reason)
		}
		if d.creator != nil {
			if reason == "" {
				ct.Imported++
			} else {
				ct.skip(reason)
			}
		}
	}
	return nil
}

// onceActive tells an account that was deactivated from one that never
// finished registering (both are is_active = false in Django): only an
// account that was active can have had a session, a social link (OAuth
// sign-in activates), an API key or saved settings.
func (d *djUser) onceActive() bool {
	c := d.creator
	return d.hasSession || d.hasSocial || c != nil && (c.APIKeyHash != "" || c.AppSettingsUpdatedAt != nil)
}

// importUser imports one account with its Django id: the other
// Notechondria services know users by these ids (the forward-auth
// X-Auth-User-Id header carries them), so an account is never imported
// under another id. It returns the skip reason, "" when the account was
// imported.
func (im *importer) importUser(ctx context.Context, d *djUser) (string, error) {
	if strings.TrimSpace(d.Username) == "" {
		return SkipEmptyUsername, nil
	}
	same, conflict, holder := im.targets.match(d)
	switch {
	case same != nil:
		im.users[d.ID] = &mapped{id: same.ID, active: same.IsActive, hasKey: same.APIKeyPrefix != ""}
		return SkipAlreadyImported, nil
	case conflict != "":
		im.taken(d, conflict, holder)
		return conflict, nil
	}
	u := im.newUser(d)
	err := im.write(func() error { return im.dst.ImportUser(ctx, u) })
	if app.ErrorCode(err) == app.ECONFLICT {
		// Taken since the index was read (an account registered on a
		// serving target meanwhile).
		conflict = SkipUsernameTaken
		if _, err := im.dst.UserByID(ctx, d.ID); err == nil {
			conflict = SkipIDTaken
		}
		im.taken(d, conflict, nil)
		return conflict, nil
	} else if err != nil {
		return "", fmt.Errorf("import auth_user #%d: %w", d.ID, err)
	}
	switch {
	case u.Disabled:
		im.disabled++
	case !u.IsActive:
		im.pending++
	}
	im.targets.add(u)
	im.users[d.ID] = &mapped{id: u.ID, active: u.IsActive}
	im.passwords[passwordKind(d.Password)]++
	return "", nil
}

// taken names, for the operator, a Django account that is not imported
// because holder (nil: unknown) has its id or its username.
func (im *importer) taken(d *djUser, conflict string, holder *app.User) {
	who := "another account"
	if holder != nil {
		who = fmt.Sprintf("account #%d %q, which joined at another time", holder.ID, holder.Username)
	}
	if conflict == SkipIDTaken {
		im.rep.attention("auth_user #%d %q (%s): id %d is taken on the target by %s; accounts keep their "+
			"Django ids (other services know users by them): import into a new, empty database", d.ID,
			d.Username, d.Email, d.ID, who)
		return
	}
	im.rep.attention("auth_user #%d %q (%s): the username is taken on the target by %s; "+
		"rename one of them (in Django or on the target) and run the import again", d.ID, d.Username, d.Email, who)
}

// newUser maps a Django user and its Creator to an account (CONTRACT 2).
// Emails are stored lowercased as everywhere in this server; blank profile
// choices (possible only through the Django admin) get the model defaults,
// which the settings endpoint would otherwise refuse on every save.
func (im *importer) newUser(d *djUser) *app.User {
	u := app.NewUser(d.Username, strings.ToLower(d.Email), d.DateJoined)
	u.ID, u.Password, u.FirstName, u.LastName = d.ID, d.Password, d.FirstName, d.LastName
	u.IsActive, u.IsStaff, u.IsSuperuser = d.IsActive, d.IsStaff, d.IsSuperuser
	// Inactive in Django means pending or deactivated; see onceActive.
	u.Disabled = !d.IsActive && d.onceActive()
	c := d.creator
	if c == nil {
		return u // ensure_creator would have made one with the defaults
	}
	u.Motto, u.SocialLink = c.Motto, c.SocialLink
	u.ImageURL = mediaURL(im.o.MediaURL, c.Image)
	u.EditorMode = orDefault(c.EditorMode, u.EditorMode)
	u.ThemePreset = orDefault(c.ThemePreset, u.ThemePreset)
	u.ThemeMode = orDefault(c.ThemeMode, u.ThemeMode)
	u.APIBaseURL = orDefault(c.BaseURL, u.APIBaseURL)
	u.AppSettingsJSON, u.AppSettingsUpdatedAt = c.AppSettingsJSON, c.AppSettingsUpdatedAt
	return u
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

// mediaURL is the URL of a stored ImageField name, as Django's
// storage.url gives it: MEDIA_URL + name ("" stays "").
func mediaURL(media, name string) string {
	switch {
	case name == "":
		return ""
	case strings.HasPrefix(name, "http://"), strings.HasPrefix(name, "https://"):
		return name
	}
	return strings.TrimSuffix(media, "/") + "/" + strings.TrimPrefix(name, "/")
}

// passwordKind names a stored password's Django hasher for the report.
func passwordKind(p string) string {
	switch {
	case p == "":
		return "empty"
	case strings.HasPrefix(p, "!"):
		return "unusable"
	case strings.Contains(p, "$"):
		alg, _, _ := strings.Cut(p, "$")
		return alg
	case len(p) == 32:
		return "unsalted_md5"
	}
	return "unknown"
}

// importAPIKeys imports the API key hash of each imported account's
// Creator (sha256_hex of the "ntc_..." key, as this server stores it).
func (im *importer) importAPIKeys(ctx context.Context) error {
	t := im.rep.Table(TableAPIKeys)
	for _, d := range im.djUsers {
		if d.creator == nil || d.creator.APIKeyHash == "" {
			continue
		}
		t.Read++
		reason, err := im.importAPIKey(ctx, d)
		if err != nil {
			return fmt.Errorf("import the API key of auth_user #%d: %w", d.ID, err)
		}
		if reason == "" {
			t.Imported++
		} else {
			t.skip(reason)
		}
	}
	return nil
}

func (im *importer) importAPIKey(ctx context.Context, d *djUser) (string, error) {
	m := im.users[d.ID]
	hash, prefix := d.creator.APIKeyHash, d.creator.APIKeyPrefix
	switch {
	case m == nil:
		return SkipUserNotImported, nil
	case !isHex64(hash):
		return SkipKeyMalformed, nil
	}
	owner, err := im.dst.UserByAPIKeyHash(ctx, hash)
	switch {
	case err == nil && owner.ID == m.id:
		return SkipAlreadyImported, nil
	case err == nil:
		im.takenKey(d, owner.ID)
		return SkipKeyTaken, nil
	case app.ErrorCode(err) != app.ENOTFOUND:
		return "", err
	}
	if other, ok := im.keys[hash]; ok && other != m.id {
		im.takenKey(d, 0)
		return SkipKeyTaken, nil
	}
	if m.hasKey {
		return SkipKeyReplaced, nil // rotated on the target: the newer key wins
	}
	err = im.write(func() error {
		_, err := im.dst.SetAPIKey(ctx, m.id, hash, prefix, im.now)
		return err
	})
	if app.ErrorCode(err) == app.ECONFLICT {
		im.takenKey(d, 0)
		return SkipKeyTaken, nil
	} else if err != nil {
		return "", err
	}
	im.keys[hash], m.hasKey = m.id, true
	return "", nil
}

func (im *importer) takenKey(d *djUser, holder int64) {
	who := "another account"
	if holder > 0 {
		who = fmt.Sprintf("account #%d", holder)
	}
	im.rep.attention("API key of auth_user #%d %q: the same key hash belongs to %s on the target; "+
		"the user can rotate a new key in settings", d.ID, d.Username, who)
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
