-- Passkeys (issue 14: WebAuthn credentials, passwordless sign-in and the
-- "passkey" channel of a two-step sign-in).

-- The WebAuthn user handle of an account: 32 random bytes (base64url), not
-- the numeric id, so an authenticator holds nothing that names the account
-- in this database. Made at the first registration ceremony.
CREATE TABLE webauthn_users (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    handle  TEXT    NOT NULL UNIQUE
);

-- One row per registered credential. credential_id is the authenticator's
-- credential id (base64url); credential the library's credential record
-- (JSON: public key, sign counter, flags, transports, AAGUID); only public
-- data: a stolen database yields no way to sign in.
CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    credential    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- WebAuthn ceremonies in flight (registration, passwordless sign-in, the
-- passkey step of a pending sign-in): the challenge state, bound to the
-- client that began it, spent once (deleted), five minutes long. id_hash
-- is SHA-256 of the ceremony id the client holds (for the two-step
-- channel: the pending sign-in's own id hash).
CREATE TABLE webauthn_ceremonies (
    id_hash    TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    session_id INTEGER,
    ip_hash    TEXT    NOT NULL,
    user_agent TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at);
