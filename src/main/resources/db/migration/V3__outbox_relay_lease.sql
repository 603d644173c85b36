-- The outbox relay of one node takes an unpublished outcome for a grace period before publishing it, so the relays
-- of several nodes never publish the same outcome twice; a relay that died leaves it to the next after the grace.
ALTER TABLE download ADD COLUMN relayed_at TIMESTAMP WITH TIME ZONE;
