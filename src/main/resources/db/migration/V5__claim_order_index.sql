-- The claim reads queued rows in queue order (priority DESC, created_at, id). With an index in exactly that order the
-- next few are read from it instead of sorting every queued row at each claim (a flood of 1000 requests sorted up to
-- 1000 rows per claim, about once per finished download). Its leading state column serves every query by state.
DROP INDEX download_queue;
CREATE INDEX download_claim ON download (state, priority DESC, created_at, id);
