-- The id a customer's tap carried back (the bot's own id on the button, list row, quick reply
-- or postback, as the channel parsed it), so a turn can tell a tap from typed words without
-- reading any channel's JSON. NULL for everything that is not a tap.
ALTER TABLE messages ADD COLUMN choice text;
