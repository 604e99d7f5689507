-- The latest Messenger delivery and read watermarks of each customer (Meta's stamps: every
-- message sent at or before them was delivered, read). A watermark can arrive while a reply's
-- send is in flight, before the worker records it as sent: it changes no message then, and
-- read receipts carry no message ids to park it by. Kept here, it is applied when the send is
-- recorded (outbox.mark_sent), so the last reply of a conversation read at once shows read.
ALTER TABLE customers ADD COLUMN delivered_until timestamptz, ADD COLUMN read_until timestamptz;
