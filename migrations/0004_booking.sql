-- Booking: a rescheduled appointment points at the one it replaced, so a retried move is answered
-- with its result (not "already cancelled") and the history of a booking can be followed.

ALTER TABLE appointments
    ADD COLUMN rescheduled_from bigint REFERENCES appointments(id) ON DELETE SET NULL;
-- An appointment is moved at most once (it is cancelled by the move).
CREATE UNIQUE INDEX appointments_rescheduled_from ON appointments (rescheduled_from);
