-- A turn's tool calls (their arguments and results quote the customer: a handoff's summary,
-- the service and time asked for) and its error are kept only as long as the messages they
-- come from: the retention purge empties those of turns started before the cutoff. This
-- index holds only turns that still have them, so each purge finds the old ones without
-- reading the business's whole history, and an emptied turn leaves it.
CREATE INDEX turns_details ON turns (business_id, started_at)
    WHERE tool_calls <> '[]'::jsonb OR error IS NOT NULL;
