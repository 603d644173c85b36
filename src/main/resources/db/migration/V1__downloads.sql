-- The database is the queue of record: a request is a row from the moment its offset is committed
-- until its outcome is published. Portable between H2 and PostgreSQL.
CREATE TABLE download (
    id                 VARCHAR(200)  PRIMARY KEY,
    state              VARCHAR(16)   NOT NULL,           -- QUEUED, RUNNING, COMPLETED, FAILED
    request_json       TEXT          NOT NULL,           -- the request as received
    priority           INTEGER       NOT NULL DEFAULT 0,
    source_topic       VARCHAR(255),
    source_partition   INTEGER,
    source_offset      BIGINT,
    created_at         TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    owner_node         VARCHAR(200),                     -- the node running it
    heartbeat_at       TIMESTAMP WITH TIME ZONE,         -- refreshed while it runs; stale means its node is gone
    attempts           INTEGER       NOT NULL DEFAULT 0,
    started_at         TIMESTAMP WITH TIME ZONE,
    effective_url      TEXT,                             -- after redirects
    file_size          BIGINT,
    etag               VARCHAR(1024),
    last_modified      VARCHAR(100),
    ranged             BOOLEAN,
    chunk_size         BIGINT,
    target_path        VARCHAR(4096),
    ended_at           TIMESTAMP WITH TIME ZONE,
    outcome_topic      VARCHAR(255),
    outcome_json       TEXT,                             -- recorded before it is published (outbox)
    published_at       TIMESTAMP WITH TIME ZONE,
    waiting_duplicates INTEGER       NOT NULL DEFAULT 0  -- requests with this id that arrived while it ran
);

CREATE INDEX download_queue ON download (state, priority, created_at);

CREATE TABLE download_chunk (
    download_id  VARCHAR(200) NOT NULL REFERENCES download (id) ON DELETE CASCADE,
    idx          INTEGER      NOT NULL,
    start_offset BIGINT       NOT NULL,
    end_offset   BIGINT       NOT NULL,                  -- inclusive; -1 for a stream of unknown length
    done         BOOLEAN      NOT NULL DEFAULT FALSE,
    PRIMARY KEY (download_id, idx)
);
