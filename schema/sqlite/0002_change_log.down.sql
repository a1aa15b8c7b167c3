DROP TABLE cache_changes;
INSERT INTO meta (key, value) VALUES ('cache_epoch', 0);
