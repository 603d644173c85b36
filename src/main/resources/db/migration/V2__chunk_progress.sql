-- Crash resume: how many bytes of each chunk are on disk (synced before they are recorded here), so a restart
-- fetches only what is missing. A chunk is done when received = end_offset - start_offset + 1.
ALTER TABLE download_chunk ADD COLUMN received BIGINT NOT NULL DEFAULT 0;
UPDATE download_chunk SET received = end_offset - start_offset + 1 WHERE done AND end_offset >= 0;
ALTER TABLE download_chunk DROP COLUMN done;
