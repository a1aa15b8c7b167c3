-- The change log (see sqlite/0002_change_log.up.sql). On PostgreSQL the
-- numbers come from change_head, a one-row counter bumped inside the
-- writing transaction under the write lock (db/postgres.go): they are
-- contiguous and in commit order, and a rolled-back write gives its numbers
-- back, exactly as SQLite's AUTOINCREMENT behaves with one writer. A
-- sequence would leave holes on rollback and hand numbers out in an order
-- other than the commits'.
CREATE TABLE cache_changes (
    seq      BIGINT  PRIMARY KEY,
    kind     TEXT    NOT NULL,
    user_id  BIGINT  NOT NULL DEFAULT 0,
    key_hash TEXT    NOT NULL DEFAULT '',
    at       BIGINT  NOT NULL
);
CREATE INDEX cache_changes_at ON cache_changes (at);

CREATE TABLE change_head (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq BIGINT  NOT NULL
);
INSERT INTO change_head (one, seq) VALUES (1, 0);

CREATE INDEX users_pending ON users (date_joined) WHERE is_active = 0 AND disabled = 0;
CREATE INDEX verification_codes_user ON verification_codes (user_id) WHERE user_id IS NOT NULL;
