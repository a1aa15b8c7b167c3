-- The security log (issue 15): one row per security event of an account,
-- written in the transaction of the change it describes. id is the event's
-- public id (32 random hex digits, the webhook de-duplication key); seq
-- orders the log and is its cursor. ip_hash_prefix is the first 8 hex
-- digits of the keyed IP hash, never more; detail is a JSON object.
CREATE TABLE security_events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT    NOT NULL UNIQUE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type           TEXT    NOT NULL,
    at             INTEGER NOT NULL,
    device_label   TEXT    NOT NULL DEFAULT '',
    user_agent     TEXT    NOT NULL DEFAULT '',
    ip_hash_prefix TEXT    NOT NULL DEFAULT '',
    session_id     INTEGER NOT NULL DEFAULT 0,
    detail         TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX security_events_user ON security_events (user_id, seq);
CREATE INDEX security_events_at ON security_events (at);

-- The devices an account signed in from: device_hash is an HMAC (install
-- key) of the browser, the operating system and the network prefix; a
-- sign-in from a device not seen for 90 days is a new device.
CREATE TABLE user_devices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_hash TEXT    NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    UNIQUE (user_id, device_hash)
);
CREATE INDEX user_devices_seen ON user_devices (last_seen);

-- Single-use links mailed to the owner ("This wasn't me", the dispute of an
-- email change): SHA-256 of the token, what it is for, the session it
-- names, what it restores (data: the old address), and when it dies.
CREATE TABLE action_tokens (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL,
    session_id INTEGER NOT NULL DEFAULT 0,
    data       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX action_tokens_expiry ON action_tokens (expires_at);

-- The webhook outbox: one row per event to deliver (written in the event's
-- transaction when --webhook-url is set), its body as signed, the next
-- attempt and the lease of the server delivering it.
CREATE TABLE webhook_outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX webhook_outbox_next ON webhook_outbox (next_at);
