DROP TABLE server_secrets;
DROP TABLE social_accounts;
DROP TABLE invitation_codes;
DROP TABLE verification_codes;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE users;
