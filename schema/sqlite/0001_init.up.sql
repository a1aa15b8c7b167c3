-- notechondria-auth initial schema.
--
-- Timestamps: every *_at / *_date column is INTEGER microseconds since the Unix
-- epoch, UTC. One representation, cheap comparisons, exact round-trips of the
-- microsecond precision that the wire format (Python isoformat) shows.
--
-- Secrets at rest are SHA-256 hex digests: session keys (key_hash), API keys
-- (key_hash), verification codes (code_hash), invitation codes (code_hash).
-- Passwords are argon2id (or imported Django pbkdf2_sha256) strings.

CREATE TABLE users (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    username                TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    email                   TEXT    NOT NULL DEFAULT '' COLLATE NOCASE,
    password                TEXT    NOT NULL DEFAULT '',
    first_name              TEXT    NOT NULL DEFAULT '',
    last_name               TEXT    NOT NULL DEFAULT '',
    is_active               INTEGER NOT NULL DEFAULT 0,
    is_staff                INTEGER NOT NULL DEFAULT 0,
    is_superuser            INTEGER NOT NULL DEFAULT 0,
    date_joined             INTEGER NOT NULL,
    -- Creator profile fields used by the auth payload and settings.
    motto                   TEXT    NOT NULL DEFAULT '',
    social_link             TEXT    NOT NULL DEFAULT '',
    image_url               TEXT    NOT NULL DEFAULT '',
    editor_mode             TEXT    NOT NULL DEFAULT 'P',
    theme_preset            TEXT    NOT NULL DEFAULT 'teal',
    theme_mode              TEXT    NOT NULL DEFAULT 'S',
    api_base_url            TEXT    NOT NULL DEFAULT 'http://localhost:9080/api/v1',
    app_settings_json       TEXT    NOT NULL DEFAULT '',
    app_settings_updated_at INTEGER,
    -- Set when a pending (unverified) account is registered again with a
    -- different password: nobody can tell whose password is the owner's, so
    -- verification then leaves the account without a usable password.
    registration_contested  INTEGER NOT NULL DEFAULT 0,
    -- Set by an admin deactivation: unlike a pending account (also
    -- is_active = 0), a disabled one cannot be re-activated by registering,
    -- verifying or signing in with a linked provider.
    disabled                INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX users_email ON users (email);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_hash     TEXT    NOT NULL UNIQUE,
    device_label TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    ip_hash      TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX sessions_user_seen ON sessions (user_id, last_seen_at);
CREATE INDEX sessions_created ON sessions (created_at);
CREATE INDEX sessions_seen ON sessions (last_seen_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- One API key per user (the original kept it on Creator).
CREATE TABLE api_keys (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    key_hash   TEXT    NOT NULL UNIQUE,
    prefix     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- Deliberately no UNIQUE on code_hash: the code space is 10^6 (CONTRACT 6.2).
CREATE TABLE verification_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash  TEXT    NOT NULL,
    usage      TEXT    NOT NULL DEFAULT 'A',
    function   TEXT    NOT NULL,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    max_use    INTEGER NOT NULL DEFAULT 1,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expire_at  INTEGER NOT NULL
);
CREATE INDEX verification_codes_function ON verification_codes (function, usage, expire_at);

CREATE TABLE invitation_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash  TEXT    NOT NULL UNIQUE,
    label      TEXT    NOT NULL DEFAULT '',
    max_uses   INTEGER NOT NULL DEFAULT 1,
    times_used INTEGER NOT NULL DEFAULT 0,
    expire_at  INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE social_accounts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider     TEXT    NOT NULL,
    provider_uid TEXT    NOT NULL,
    email        TEXT    NOT NULL DEFAULT '',
    extra_data   TEXT    NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    UNIQUE (provider, provider_uid)
);
CREATE INDEX social_accounts_user ON social_accounts (user_id, provider);

-- Bumped by admin CLI commands that change data behind a running server's
-- back; the server polls it and drops its token cache when it moves.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('cache_epoch', 0);

-- Server-side secrets generated on first start (the IP-hash HMAC key).
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
