-- "Try the bot" customers of the admin console: their turns run for real, replies are never sent.
ALTER TABLE customers ADD COLUMN sandbox boolean NOT NULL DEFAULT false;
