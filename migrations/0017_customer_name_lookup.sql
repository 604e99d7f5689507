-- When the bot last asked the channel for the name of a customer its webhook names nobody
-- (Messenger events carry no name; see Channel.lookup_name): a customer is looked up once,
-- and again at most once a day while the name stays unknown. NULL: never asked.
ALTER TABLE customers ADD COLUMN name_lookup_at timestamptz;
