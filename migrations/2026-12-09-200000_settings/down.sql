DROP TABLE notification_outbox;
DROP TABLE notification_prefs;
DROP TABLE runtime_settings;
