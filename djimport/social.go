package djimport

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"notechondria-auth/app"
)

// importSocial imports the Google and GitHub links. This server keeps one
// link per user and provider (binding replaces it), while the original
// could end up with two (CONTRACT 6.7): the oldest is kept and the others
// are reported. extra_data is kept as the JSON object it is.
func (im *importer) importSocial(ctx context.Context) error {
	t := im.rep.Table(TableSocial)
	return eachSocial(ctx, im.src, func(a *djSocial) error {
		t.Read++
		reason, err := im.importLink(ctx, a)
		if err != nil {
			return fmt.Errorf("import creators_socialaccount #%d: %w", a.ID, err)
		}
		if reason == "" {
			t.Imported++
		} else {
			t.skip(reason)
		}
		return nil
	})
}

func (im *importer) importLink(ctx context.Context, a *djSocial) (string, error) {
	m := im.users[a.UserID]
	switch {
	case m == nil:
		return SkipUserNotImported, nil
	case a.Provider != "google" && a.Provider != "github":
		return SkipUnknownProvider, nil
	case a.UID == "":
		return SkipEmptyUID, nil
	}
	owner, err := im.dst.SocialAccountByUID(ctx, a.Provider, a.UID)
	switch {
	case err == nil && owner.UserID == m.id:
		return SkipAlreadyImported, nil
	case err == nil:
		im.takenIdentity(a, owner.UserID)
		return SkipIdentityTaken, nil
	case app.ErrorCode(err) != app.ENOTFOUND:
		return "", err
	}
	key := linkKey{user: m.id, provider: a.Provider}
	if im.linked[key] {
		return SkipSecondLink, nil
	}
	existing, err := im.dst.SocialAccountsByUser(ctx, m.id)
	if err != nil {
		return "", err
	}
	for _, e := range existing {
		if e.Provider == a.Provider {
			// Bound on the target (or imported) with another identity:
			// binding would replace that link, so keep it.
			return SkipSecondLink, nil
		}
	}
	link := &app.SocialAccount{UserID: m.id, Provider: a.Provider, ProviderUID: a.UID,
		Email: strings.ToLower(a.Email), ExtraData: jsonObject(a.ExtraData), CreatedAt: a.CreatedAt}
	err = im.write(func() error {
		_, err := im.dst.BindSocialAccount(ctx, link)
		return err
	})
	if app.ErrorCode(err) == app.ECONFLICT {
		im.takenIdentity(a, 0)
		return SkipIdentityTaken, nil
	} else if err != nil {
		return "", err
	}
	im.linked[key] = true
	return "", nil
}

func (im *importer) takenIdentity(a *djSocial, holder int64) {
	who := "another account"
	if holder > 0 {
		who = fmt.Sprintf("account #%d", holder)
	}
	im.rep.attention("creators_socialaccount #%d (%s %s of auth_user #%d): the identity is linked to %s on the target",
		a.ID, a.Provider, a.UID, a.UserID, who)
}

// jsonObject returns s when it is a JSON object, else "{}" (Django's
// default; the store keeps extra_data as an object).
func jsonObject(s string) string {
	var probe map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &probe) != nil || probe == nil {
		return "{}"
	}
	return s
}
