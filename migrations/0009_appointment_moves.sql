-- A moved appointment keeps its id (the customer's booking number): its row's times change and
-- each move is recorded here, so the console can show "moved from ... to ...".
CREATE TABLE appointment_moves (
    id              bigserial PRIMARY KEY,
    appointment_id  bigint NOT NULL REFERENCES appointments(id) ON DELETE CASCADE,
    from_starts_at  timestamptz NOT NULL,
    from_ends_at    timestamptz NOT NULL,
    to_starts_at    timestamptz NOT NULL,
    to_ends_at      timestamptz NOT NULL,
    turn_id         bigint REFERENCES turns(id) ON DELETE SET NULL,
    moved_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointment_moves_appointment ON appointment_moves (appointment_id, id);

-- Moves made before this migration cancelled the row and created a successor pointing at it
-- (`rescheduled_from`); record each of them on the newest row of its chain.
WITH RECURSIVE chain AS (
    SELECT a.id AS head, a.id, a.rescheduled_from
      FROM appointments a
     WHERE a.rescheduled_from IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM appointments n WHERE n.rescheduled_from = a.id)
    UNION ALL
    SELECT c.head, p.id, p.rescheduled_from
      FROM chain c JOIN appointments p ON p.id = c.rescheduled_from
     WHERE p.rescheduled_from IS NOT NULL
)
INSERT INTO appointment_moves
       (appointment_id, from_starts_at, from_ends_at, to_starts_at, to_ends_at, turn_id, moved_at)
SELECT c.head, p.starts_at, p.ends_at, n.starts_at, n.ends_at, n.turn_id, n.created_at
  FROM chain c
  JOIN appointments n ON n.id = c.id
  JOIN appointments p ON p.id = c.rescheduled_from
 ORDER BY c.head, n.created_at, n.id;
