-- A no-show takes its seat until it ends, as every appointment not cancelled does (SPEC §5; its
-- event stays on the staff's calendar, and 0029's "it no longer takes a seat" no longer holds).
-- The capacity read (`occupying` in app/storage/bookings.py) counts no-shows with bookings and
-- live holds; those have partial indexes of their own (0001, 0012), and without one for
-- no-shows the read became a scan of every business's appointments.
CREATE INDEX appointments_business_no_show ON appointments (business_id, starts_at)
    WHERE status = 'no_show';
