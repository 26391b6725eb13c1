-- Contract-end notices (#14): when the library's admins were told that a
-- contract ends within 30 days, and that it has ended. Each is set in the
-- transaction that queues the email, so a notice goes out once.
ALTER TABLE vendors ADD COLUMN notified_soon_at TIMESTAMP;
ALTER TABLE vendors ADD COLUMN notified_ended_at TIMESTAMP;
