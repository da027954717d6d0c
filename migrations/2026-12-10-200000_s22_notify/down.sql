DROP TABLE scheduled_emails;
ALTER TABLE notification_outbox DROP COLUMN attachment;
ALTER TABLE notification_outbox DROP COLUMN attachment_name;
ALTER TABLE notification_outbox DROP COLUMN leased_by;
ALTER TABLE notification_outbox DROP COLUMN leased_until;
