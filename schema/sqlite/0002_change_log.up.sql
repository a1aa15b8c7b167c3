-- The change log: one row per write that cached state in any process must
-- follow (a revoked session, a changed user, a replaced API key, a wipe),
-- appended in the writing transaction. Every process on the file reads the
-- rows after its last seen seq a few times a second and drops what they
-- name. Replaces the admin CLI's meta.cache_epoch counter.
CREATE TABLE cache_changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT    NOT NULL,
    user_id  INTEGER NOT NULL DEFAULT 0,
    key_hash TEXT    NOT NULL DEFAULT '',
    at       INTEGER NOT NULL
);
CREATE INDEX cache_changes_at ON cache_changes (at);
DELETE FROM meta WHERE key = 'cache_epoch';

-- The sweeper removes pending accounts whose codes all expired long ago
-- (register can be called for any address): find them without a scan.
CREATE INDEX users_pending ON users (date_joined) WHERE is_active = 0 AND disabled = 0;
CREATE INDEX verification_codes_user ON verification_codes (user_id) WHERE user_id IS NOT NULL;
