DROP TABLE webhook_outbox;
DROP TABLE action_tokens;
DROP TABLE user_devices;
DROP TABLE security_events;
