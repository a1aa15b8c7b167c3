-- Second factors (issue 14, part A: TOTP, recovery codes, the two-step
-- sign-in). Room is left for passkeys and device approval: a challenge's
-- channels are a text list, and new channels add columns or tables.

-- How a session was authenticated: a comma list of methods in the order
-- they were proven ("password,totp"); '' for sessions minted before this
-- migration. authenticated_at is when the session last proved them (a
-- step-up re-authentication moves it); NULL: created_at.
ALTER TABLE sessions ADD COLUMN auth_methods TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER;

-- Whether the account has a second factor (confirmed TOTP, or "confirm new
-- sign-ins"): kept by the second-factor writes in their transaction so the
-- token check reads it with the identity columns.
ALTER TABLE users ADD COLUMN second_factor INTEGER NOT NULL DEFAULT 0;

-- One row per account that ever set a second factor up. totp_secret is the
-- AES-256-GCM sealed secret (base64; the key lives in a file outside the
-- database, see docs/SECURITY.md); totp_last_step the last accepted RFC 6238
-- time step: a code at or before it is a replay.
CREATE TABLE second_factors (
    user_id              INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    totp_secret          TEXT    NOT NULL DEFAULT '',
    totp_confirmed       INTEGER NOT NULL DEFAULT 0,
    totp_last_step       INTEGER NOT NULL DEFAULT 0,
    confirm_new_sign_ins INTEGER NOT NULL DEFAULT 0,
    updated_at           INTEGER NOT NULL
);

-- Recovery codes: SHA-256 of a high-entropy code, each usable once.
CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Pending two-step sign-ins. id_hash is SHA-256 of the challenge id the
-- client holds; the row is bound to the client (ip_hash, user_agent), lives
-- until expires_at, dies at 5 failures and is spent once (done_at).
-- password_hash is the hash the first step verified: the session is refused
-- when the password changed meanwhile.
CREATE TABLE login_challenges (
    id_hash       TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip_hash       TEXT    NOT NULL,
    user_agent    TEXT    NOT NULL,
    channels      TEXT    NOT NULL,
    first_factor  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL DEFAULT '',
    failures      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    done_at       INTEGER
);
CREATE INDEX login_challenges_expiry ON login_challenges (expires_at);
CREATE INDEX login_challenges_user ON login_challenges (user_id);
