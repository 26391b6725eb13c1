DROP FUNCTION IF EXISTS outbox_oldest_waiting();
