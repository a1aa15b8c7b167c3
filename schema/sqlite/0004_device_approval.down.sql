ALTER TABLE login_challenges DROP COLUMN device_state;
ALTER TABLE login_challenges DROP COLUMN device_choices;
ALTER TABLE login_challenges DROP COLUMN device_number;
