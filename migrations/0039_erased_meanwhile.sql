-- A message written before its sender's erasure and delivered while the erasure runs: the
-- webhook's statement finds no tombstone in its snapshot (the erasure has not committed), then
-- waits for the customer's row, which the erasure holds; once the erasure commits, that row's
-- address is 'erased:<id>', the address no longer conflicts, and a new customer would be
-- inserted with the message: the erased customer back. The statement calls this for each
-- customer it inserts (so rarely: a new customer). A volatile function's statements each see
-- what has committed since the outer statement began (READ COMMITTED), so the tombstones are
-- read again after the wait; a message older than one refuses the whole statement as a
-- serialization failure, and the webhook stores it again, when the tombstone is in its snapshot.
CREATE FUNCTION inbound_sender_unerased(d jsonb) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    business bigint := (d ->> 'business_id')::bigint;
    sent timestamptz := COALESCE((d ->> 'sent_at')::timestamptz, now());
BEGIN
    IF EXISTS (SELECT FROM customers c
                WHERE (c.business_id, c.channel, c.erased_address)
                      = (business, d ->> 'channel', d ->> 'address_hash')
                  AND c.erased_at >= sent)
       OR (d ->> 'user_hash' IS NOT NULL AND EXISTS (SELECT FROM customers c
                WHERE (c.business_id, c.channel, c.erased_user)
                      = (business, d ->> 'channel', d ->> 'user_hash')
                  AND c.erased_at >= sent)) THEN
        RAISE EXCEPTION 'the sender was erased while their message was being stored'
            USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN true;
END
$$;
