DROP TABLE webauthn_ceremonies;
DROP TABLE passkeys;
DROP TABLE webauthn_users;
