-- A download whose origin asks it to come back later than the inline retries wait (a long Retry-After) is PARKED
-- until next_attempt_at, holding no thread; parks counts how often, against downloader.retry.max-parks.
ALTER TABLE download ADD COLUMN next_attempt_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE download ADD COLUMN parks INTEGER NOT NULL DEFAULT 0;
