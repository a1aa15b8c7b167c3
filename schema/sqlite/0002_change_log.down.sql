DROP INDEX verification_codes_user;
DROP INDEX users_pending;
DROP TABLE cache_changes;
INSERT INTO meta (key, value) VALUES ('cache_epoch', 0);
