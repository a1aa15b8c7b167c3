DROP TABLE login_challenges;
DROP TABLE recovery_codes;
DROP TABLE second_factors;
ALTER TABLE users DROP COLUMN second_factor;
ALTER TABLE sessions DROP COLUMN authenticated_at;
ALTER TABLE sessions DROP COLUMN auth_methods;
