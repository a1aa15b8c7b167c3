DROP INDEX verification_codes_user;
DROP INDEX users_pending;
DROP TABLE change_head;
DROP TABLE cache_changes;
