-- Device approval with number matching (issue 14): the number a new
-- device shows, the three choices a signed-in device is offered, and the
-- answer ('' while pending, 'approved' or 'denied').
ALTER TABLE login_challenges ADD COLUMN device_number TEXT NOT NULL DEFAULT '';
ALTER TABLE login_challenges ADD COLUMN device_choices TEXT NOT NULL DEFAULT '';
ALTER TABLE login_challenges ADD COLUMN device_state TEXT NOT NULL DEFAULT '';
