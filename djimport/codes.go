package djimport

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"notechondria-auth/app"
)

// importInvitations imports every invitation code, used up and expired ones
// too: any row turns the registration gate on (CONTRACT 3.13), so leaving
// one out could open an instance that was closed. code_hash is already the
// sha256_hex of the stripped code, as this server stores it.
func (im *importer) importInvitations(ctx context.Context) error {
	t := im.rep.Table(TableInvitations)
	return eachInvitation(ctx, im.src, func(d *djInvitation) error {
		t.Read++
		reason, err := im.importInvitation(ctx, d)
		if err != nil {
			return fmt.Errorf("import creators_invitationcode #%d: %w", d.ID, err)
		}
		if reason == "" {
			t.Imported++
		} else {
			t.skip(reason)
		}
		return nil
	})
}

func (im *importer) importInvitation(ctx context.Context, d *djInvitation) (string, error) {
	if d.CodeHash == "" {
		return SkipEmptyCodeHash, nil
	}
	switch _, err := im.dst.InvitationByHash(ctx, d.CodeHash); {
	case err == nil:
		return SkipAlreadyImported, nil
	case app.ErrorCode(err) != app.ENOTFOUND:
		return "", err
	}
	inv := &app.Invitation{CodeHash: d.CodeHash, Label: d.Label, MaxUses: d.MaxUses,
		TimesUsed: d.TimesUsed, ExpireAt: d.ExpireAt, CreatedAt: d.CreatedAt}
	err := im.write(func() error { return im.dst.CreateInvitation(ctx, inv) })
	if app.ErrorCode(err) == app.ECONFLICT {
		return SkipAlreadyImported, nil
	}
	return "", err
}

// countCodes reports the verification codes without importing them. They
// live 24 hours and each can be asked for again (resend-verification, the
// reset and identity requests), while this server binds its codes to an
// account and counts wrong tries, which the original's rows cannot say; a
// user caught mid-flow by the switch asks for a new code. Pending accounts
// themselves are imported.
func (im *importer) countCodes(ctx context.Context) error {
	all, live, err := countCodes(ctx, im.src, im.now)
	if err != nil {
		return err
	}
	t := im.rep.Table(TableCodes)
	t.Read = all
	if live > 0 {
		t.Skips = append(t.Skips, Skip{Reason: SkipLiveCode, Count: live})
	}
	if all > live {
		t.Skips = append(t.Skips, Skip{Reason: SkipDeadCode, Count: all - live})
	}
	return nil
}

// notes adds what the operator should know beyond the counts.
func (im *importer) notes() {
	r := im.rep
	if len(im.passwords) > 0 {
		kinds := make([]string, 0, len(im.passwords))
		for k, n := range im.passwords {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
		}
		sort.Strings(kinds)
		r.note("passwords of the new accounts: %s; Django hashes are verified as they are and "+
			"replaced by argon2id at each user's next sign-in", strings.Join(kinds, ", "))
		var odd []string
		for k := range im.passwords {
			switch k {
			case "pbkdf2_sha256", "pbkdf2_sha1", "md5", "argon2", "unsalted_md5", "unusable":
			default:
				odd = append(odd, k)
			}
		}
		sort.Strings(odd)
		if len(odd) > 0 {
			r.note("passwords of kind %s cannot be verified here: those users sign in after a password reset",
				strings.Join(odd, ", "))
		}
	}
	if im.pending > 0 {
		r.note("%d inactive account(s) that never signed in were imported as pending registrations: "+
			"resend-verification mails them a new code; the sweeper deletes a pending account that joined "+
			"over a day ago and has had no live code for a day, so the older of these go at the first sweep", im.pending)
	}
	if im.disabled > 0 {
		r.note("%d inactive account(s) that had been active (a session, API key, social link or saved settings) "+
			"were imported as disabled: \"notechondria-auth user activate --user NAME\" enables one", im.disabled)
	}
	if im.ipDropped > 0 {
		r.note("the IP hashes of %d imported session(s) were dropped (the original's are unsalted; this "+
			"server keys its own): they list an empty ip_hash_prefix until the device signs in again", im.ipDropped)
	}
	if t := r.Table(TableInvitations); t.Read > 0 {
		r.note("the Django database has invitation codes, so registration requires one here too (any " +
			"invitation row, used up or expired, turns the gate on)")
	}
}
