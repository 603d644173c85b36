package dev.downloader.state;

import static dev.downloader.state.DownloadState.PARKED;
import static dev.downloader.state.DownloadState.QUEUED;
import static dev.downloader.state.DownloadState.RUNNING;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Named;

import dev.downloader.DownloaderConfig;
import dev.downloader.outcome.Outcome;
import dev.downloader.plan.Chunk;
import dev.downloader.plan.ProbeResult;
import dev.downloader.request.DownloadRequest;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import org.jboss.logging.Logger;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The state repository: downloads and their chunks in the database, the queue of record. Every statement of the
 * service is here.
 */
@ApplicationScoped
@Named("downloadStore")
@RegisterForReflection(fields = false)
public class DownloadStore {

    private static final Logger LOG = Logger.getLogger(DownloadStore.class);
    /** SQLSTATE of a duplicate key, in H2 and PostgreSQL alike. */
    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    private final String nodeId;
    /** Whether commits are written behind (H2), learnt from the first connection: null until then. */
    private volatile Boolean writtenBehind;
    private final GroupFlush checkpoints = new GroupFlush(this::checkpoint);

    public DownloadStore(@Identifier(Database.NAME) DataSource dataSource, DownloaderConfig config) {
        this.dataSource = dataSource;
        this.nodeId = config.nodeId().orElseGet(() -> keptNodeId(config.dataDir()));
    }

    /**
     * The node id kept in {@code <data-dir>/node-id}, made at the first start: a node restarted on its data directory is
     * the same node, and requeues the downloads it was running when it died at once, to resume them.
     */
    private static String keptNodeId(Path dataDir) {
        Path file = dataDir.resolve("node-id");
        try {
            if (Files.isRegularFile(file)) {
                String kept = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!kept.isEmpty()) {
                    return kept;
                }
            }
            String made = "node-" + UUID.randomUUID();
            Files.createDirectories(dataDir);
            Files.writeString(file, made + "\n", StandardCharsets.UTF_8);
            return made;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the node id in " + file, e);
        }
    }

    public String nodeId() {
        return nodeId;
    }

    /**
     * Makes every commit so far reach the database's file, before anything outside is told of it: an offset commit, a
     * published outcome. The embedded H2 writes commits behind (WRITE_DELAY), many in one page write, where one write
     * per commit cost a quarter of the CPU in a flood of small files; a CHECKPOINT writes them now (to the file, as a
     * commit under WRITE_DELAY=0 did: a killed process loses none of them). Callers that flush at the same time share
     * one CHECKPOINT ({@link GroupFlush}). A PostgreSQL commit is durable when it returns: nothing to do.
     */
    public void flush() throws SQLException {
        if (Boolean.FALSE.equals(writtenBehind)) {
            return;
        }
        checkpoints.flush();
    }

    private void checkpoint() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            if (writtenBehind == null) {
                writtenBehind = "H2".equals(c.getMetaData().getDatabaseProductName());
                if (!writtenBehind) {
                    return;
                }
            }
            try (PreparedStatement s = c.prepareStatement("CHECKPOINT")) {
                s.executeUpdate();
            }
        }
    }

    /** What the accept found when it recorded a request. */
    public enum Recorded {
        /** A new download, QUEUED. */
        NEW,
        /**
         * The very record the download was recorded from, delivered again (an offset commit lost in a rebalance, a
         * crash between insert and commit): it gets no outcome of its own.
         */
        REDELIVERY,
        /** Another request with a known id: answered as a duplicate, never downloaded again. */
        KNOWN
    }

    /**
     * Records a valid request as a QUEUED download, with the record it came from. The INSERT comes first: nearly every
     * request is new, and only one whose id is taken is looked at again.
     *
     * @return the name of what was found ({@link Recorded}): the accept route compares it with a literal, which Camel
     *         does directly, where an enum took a search through its type converters at every record
     */
    public String record(DownloadRequest request, Source source) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("INSERT INTO download (id, state, request_json, priority,"
                        + " source_topic, source_partition, source_offset) VALUES (?, '" + QUEUED + "', ?, ?, ?, ?, ?)")) {
            s.setString(1, request.id());
            s.setString(2, request.received().toString());
            s.setInt(3, request.priority());
            s.setString(4, source.topic());
            s.setInt(5, source.partition());
            s.setLong(6, source.offset());
            s.executeUpdate();
            return Recorded.NEW.name();
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
        }
        return (isRecordedFrom(request.id(), source) ? Recorded.REDELIVERY : Recorded.KNOWN).name();
    }

    private boolean isRecordedFrom(String id, Source source) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT 1 FROM download WHERE id = ? AND source_topic = ?"
                        + " AND source_partition = ? AND source_offset = ?")) {
            s.setString(1, id);
            s.setString(2, source.topic());
            s.setInt(3, source.partition());
            s.setLong(4, source.offset());
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /**
     * The answer to a request whose id is already known: its recorded outcome marked as a duplicate once it has been
     * published, else null after noting that one more answer is owed when the download ends.
     */
    public Outcome answerDuplicate(String id) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement s = c.prepareStatement("UPDATE download SET waiting_duplicates = waiting_duplicates + 1"
                    + " WHERE id = ? AND published_at IS NULL")) {
                s.setString(1, id);
                if (s.executeUpdate() == 1) {
                    return null;
                }
            }
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT state, outcome_topic, outcome_json FROM download WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        throw new IllegalStateException("download " + id + " vanished");
                    }
                    return new Outcome(id, id, r.getString(1), r.getString(2), r.getString(3));
                }
            }
        }
    }

    /**
     * Claims queued downloads for this node, highest priority and oldest first, up to the free slots. The next rows in
     * queue order are read from the download_claim index, four per free slot, and each is taken by its conditional move
     * from QUEUED to RUNNING: a row another node moved first is not moved again, and this node goes on to the next.
     * Nothing is locked while it is read: H2 sorts every row a FOR UPDATE query reads, and parses such a query again
     * at every call.
     */
    public List<String> claimQueued(int maxActive) throws SQLException {
        return inTransaction(c -> {
            List<String> claimed = new ArrayList<>();
            int running;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT COUNT(*) FROM download WHERE state = '" + RUNNING + "' AND owner_node = ?")) {
                s.setString(1, nodeId);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    running = r.getInt(1);
                }
            }
            int free = maxActive - running;
            if (free <= 0) {
                return claimed;
            }
            List<String> next = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT id FROM download WHERE state = '" + QUEUED
                    + "' ORDER BY state, priority DESC, created_at, id FETCH FIRST ? ROWS ONLY")) {
                s.setInt(1, 4 * free);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        next.add(r.getString(1));
                    }
                }
            }
            try (PreparedStatement s = move(c, QUEUED, RUNNING, "owner_node = ?, heartbeat_at ="
                    + " CURRENT_TIMESTAMP, started_at = CURRENT_TIMESTAMP, attempts = attempts + 1", "id = ?")) {
                for (int i = 0; i < next.size() && claimed.size() < free; i++) {
                    s.setString(1, nodeId);
                    s.setString(2, next.get(i));
                    if (s.executeUpdate() == 1) {
                        claimed.add(next.get(i));
                    }
                }
            }
            return claimed;
        });
    }

    public StoredDownload load(String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT request_json, source_topic, source_partition,"
                        + " source_offset, attempts, parks, file_size IS NOT NULL FROM download WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new IllegalStateException("no download " + id);
                }
                return new StoredDownload(id, r.getString(1),
                        new Source(r.getString(2), (Integer) r.getObject(3, Integer.class), r.getObject(4, Long.class)),
                        r.getInt(5), r.getInt(6), r.getBoolean(7));
            }
        }
    }

    /** Persists the plan: what the probe found, where the file goes, and one row per chunk, none done yet. */
    public void savePlan(String id, URI url, ProbeResult probe, boolean ranged, List<Chunk> chunks, String target)
            throws SQLException {
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE download SET effective_url = ?, file_size = ?,"
                    + " etag = ?, last_modified = ?, ranged = ?, chunk_size = ?, target_path = ? WHERE id = ?")) {
                s.setString(1, url.toString());
                if (probe.size() == null) {
                    s.setNull(2, Types.BIGINT);
                } else {
                    s.setLong(2, probe.size());
                }
                s.setString(3, probe.etag());
                s.setString(4, probe.lastModified());
                s.setBoolean(5, ranged);
                s.setLong(6, chunks.get(0).length());
                s.setString(7, target);
                s.setString(8, id);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM download_chunk WHERE download_id = ?")) {
                s.setString(1, id);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO download_chunk (download_id, idx, start_offset, end_offset) VALUES (?, ?, ?, ?)")) {
                for (Chunk chunk : chunks) {
                    s.setString(1, id);
                    s.setInt(2, chunk.index());
                    s.setLong(3, chunk.start());
                    s.setLong(4, chunk.end());
                    s.addBatch();
                }
                s.executeBatch();
            }
            return null;
        });
    }

    /**
     * The plan persisted for a download, with its progress; null when it has none (never planned, or planned as one
     * stream of unknown length, which cannot be resumed).
     */
    public StoredPlan loadPlan(String id) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            ProbeResult probe;
            boolean ranged;
            String target;
            try (PreparedStatement s = c.prepareStatement("SELECT file_size, etag, last_modified, ranged, target_path"
                    + " FROM download WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next() || r.getObject(4) == null) {
                        return null;
                    }
                    probe = new ProbeResult(r.getObject(1, Long.class), r.getString(2), r.getString(3), r.getBoolean(4),
                            null);
                    ranged = r.getBoolean(4);
                    target = r.getString(5);
                }
            }
            List<Chunk> chunks = new ArrayList<>();
            List<Long> received = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT idx, start_offset, end_offset, received"
                    + " FROM download_chunk WHERE download_id = ? ORDER BY idx")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        chunks.add(new Chunk(r.getInt(1), r.getLong(2), r.getLong(3)));
                        received.add(r.getLong(4));
                    }
                }
            }
            if (chunks.isEmpty()) {
                return null;
            }
            return new StoredPlan(probe, ranged, target, chunks,
                    received.stream().mapToLong(Long::longValue).toArray());
        }
    }

    /**
     * Records the chunks the tail made or shortened, and how many bytes of each chunk are in the part file (the caller
     * synced them first), in one transaction: the shapes and the bytes in them are never saved apart.
     */
    public void saveProgress(String id, List<Chunk> shapes, Map<Integer, Long> received) throws SQLException {
        if (received.isEmpty() && shapes.isEmpty()) {
            return;
        }
        inTransaction(c -> {
            for (Chunk chunk : shapes) {
                try (PreparedStatement update = c.prepareStatement("UPDATE download_chunk SET start_offset = ?,"
                        + " end_offset = ? WHERE download_id = ? AND idx = ?")) {
                    update.setLong(1, chunk.start());
                    update.setLong(2, chunk.end());
                    update.setString(3, id);
                    update.setInt(4, chunk.index());
                    if (update.executeUpdate() == 0) {
                        try (PreparedStatement insert = c.prepareStatement("INSERT INTO download_chunk"
                                + " (download_id, idx, start_offset, end_offset) VALUES (?, ?, ?, ?)")) {
                            insert.setString(1, id);
                            insert.setInt(2, chunk.index());
                            insert.setLong(3, chunk.start());
                            insert.setLong(4, chunk.end());
                            insert.executeUpdate();
                        }
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE download_chunk SET received = ? WHERE download_id = ? AND idx = ?")) {
                for (Map.Entry<Integer, Long> chunk : received.entrySet()) {
                    s.setLong(1, chunk.getValue());
                    s.setString(2, id);
                    s.setInt(3, chunk.getKey());
                    s.addBatch();
                }
                s.executeBatch();
            }
            return null;
        });
        // the bytes are synced: their record is what a crash resumes from
        flush();
    }

    /**
     * Forgets downloads that ended and were answered more than {@code keepDays} days ago (their rows and chunk rows):
     * after that, a request with the same id is a new download. Returns how many.
     */
    public int forgetEnded(int keepDays) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            Timestamp cutoff = new Timestamp(databaseNow(c).getTime() - keepDays * 86_400_000L);
            try (PreparedStatement s = c.prepareStatement("DELETE FROM download WHERE state IN " + states(true)
                    + " AND published_at IS NOT NULL AND published_at < ?")) {
                s.setTimestamp(1, cutoff);
                return s.executeUpdate();
            }
        }
    }

    /** The ids among {@code ids} whose downloads may still write their part file: queued, running or parked. */
    public Set<String> unfinished(Collection<String> ids) throws SQLException {
        Set<String> unfinished = new HashSet<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT 1 FROM download WHERE id = ? AND state IN " + states(false))) {
            for (String id : ids) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        unfinished.add(id);
                    }
                }
            }
        }
        return unfinished;
    }

    /** The origin asked to come back later: the download waits, PARKED, until {@code until}, on no node. */
    public void park(String id, Instant until) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = move(c, RUNNING, PARKED, "owner_node = NULL, next_attempt_at = ?,"
                        + " parks = parks + 1", "id = ? AND owner_node = ?")) {
            s.setTimestamp(1, Timestamp.from(until));
            s.setString(2, id);
            s.setString(3, nodeId);
            s.executeUpdate();
        }
    }

    /** Parked downloads whose time has come go back to the queue; returns how many. */
    public int requeueDue() throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = move(c, PARKED, QUEUED, "next_attempt_at = NULL",
                        "next_attempt_at <= CURRENT_TIMESTAMP")) {
            return s.executeUpdate();
        }
    }

    /**
     * This node stops (SIGTERM) with the download unfinished and its progress saved: it goes back to the queue at once,
     * for the next node, or this one after its restart, to resume.
     */
    public void suspend(String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = move(c, RUNNING, QUEUED, "owner_node = NULL", "id = ? AND owner_node = ?")) {
            s.setString(1, id);
            s.setString(2, nodeId);
            s.executeUpdate();
        }
    }

    /**
     * The outbox step: the outcome is durable before anyone is told. Only the node running the download records it:
     * when the row was queued again meanwhile (this node looked dead: a long pause, a lost database connection),
     * the run that has it now answers, and this outcome is dropped (null).
     */
    public Outcome recordOutcome(Outcome outcome) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = move(c, RUNNING, DownloadState.valueOf(outcome.state()),
                        "outcome_topic = ?, outcome_json = ?, ended_at = CURRENT_TIMESTAMP", "id = ? AND owner_node = ?")) {
            s.setString(1, outcome.topic());
            s.setString(2, outcome.json());
            s.setString(3, outcome.id());
            s.setString(4, nodeId);
            if (s.executeUpdate() == 1) {
                return outcome;
            }
            LOG.warnf("download %s: its outcome is not recorded here: this node no longer owns it (cancelled, or taken"
                    + " over by another run)", outcome.id());
            return null;
        }
    }

    /**
     * Takes the outcomes recorded at least {@code graceMs} ago (on the database's clock) and not yet published, oldest
     * first, for this node's outbox relay to publish. Each is leased for the grace: the relays of other nodes skip it
     * (its row is locked while it is taken, and then marked), and take it only if it is still unpublished after that.
     */
    public List<Outcome> takeUnpublished(long graceMs, int limit) throws SQLException {
        return inTransaction(c -> {
            List<Outcome> outcomes = new ArrayList<>();
            Timestamp cutoff = new Timestamp(databaseNow(c).getTime() - graceMs);
            try (PreparedStatement s = c.prepareStatement("SELECT id, state, outcome_topic, outcome_json"
                    + " FROM download WHERE outcome_json IS NOT NULL AND published_at IS NULL AND ended_at < ?"
                    + " AND (relayed_at IS NULL OR relayed_at < ?)"
                    + " ORDER BY ended_at, id FETCH FIRST " + limit + " ROWS ONLY FOR UPDATE SKIP LOCKED")) {
                s.setTimestamp(1, cutoff);
                s.setTimestamp(2, cutoff);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        outcomes.add(new Outcome(r.getString(1), r.getString(1), r.getString(2), r.getString(3),
                                r.getString(4)));
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE download SET relayed_at = CURRENT_TIMESTAMP WHERE id = ?")) {
                for (Outcome outcome : outcomes) {
                    s.setString(1, outcome.id());
                    s.addBatch();
                }
                s.executeBatch();
            }
            return outcomes;
        });
    }

    /**
     * Marks these outcomes as published, in one transaction, and returns the answers owed to duplicate requests that
     * waited for them (an outcome once per waiting request); later duplicates are answered from the record at once.
     */
    public List<Outcome> markPublished(List<Outcome> published) throws SQLException {
        return inTransaction(c -> {
            List<Outcome> owed = new ArrayList<>();
            try (PreparedStatement waiting = c.prepareStatement(
                    "SELECT waiting_duplicates FROM download WHERE id = ? FOR UPDATE");
                    PreparedStatement mark = c.prepareStatement("UPDATE download SET published_at = CURRENT_TIMESTAMP,"
                            + " waiting_duplicates = 0 WHERE id = ?")) {
                for (Outcome outcome : published) {
                    waiting.setString(1, outcome.id());
                    try (ResultSet r = waiting.executeQuery()) {
                        for (int n = r.next() ? r.getInt(1) : 0; n > 0; n--) {
                            owed.add(outcome);
                        }
                    }
                    mark.setString(1, outcome.id());
                    mark.addBatch();
                }
                mark.executeBatch();
            }
            return owed;
        });
    }

    /**
     * Puts back in the queue the running downloads whose node stopped beating for {@code staleAfterMs} (a crash, a
     * failure path that broke): another claim, here or on another node, runs them again. Measured on the database's
     * clock, which every node's heartbeat uses too. Returns how many were requeued.
     */
    public int requeueStale(long staleAfterMs) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement s = move(c, RUNNING, QUEUED, "owner_node = NULL", "heartbeat_at < ?")) {
                s.setTimestamp(1, new Timestamp(databaseNow(c).getTime() - staleAfterMs));
                return s.executeUpdate();
            }
        }
    }

    /**
     * At start: downloads this node id owns as RUNNING cannot be running in a process that just started (a node
     * restarted under a configured downloader.node-id), so they are queued again at once.
     */
    void requeueOwnAtStart(@Observes StartupEvent started) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = move(c, RUNNING, QUEUED, "owner_node = NULL", "owner_node = ?")) {
            s.setString(1, nodeId);
            s.executeUpdate();
        }
    }

    private interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    private <T> T inTransaction(SqlWork<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** The states that are (or are not) ended, as an SQL list: {@code ('COMPLETED', 'FAILED')}. */
    private static String states(boolean ended) {
        return Arrays.stream(DownloadState.values()).filter(state -> state.ended() == ended)
                .map(state -> "'" + state + "'").collect(Collectors.joining(", ", "(", ")"));
    }

    /**
     * The one way a row's state changes: {@code UPDATE ... SET state = to, <set> WHERE state = from AND <where>}, for a
     * move {@link DownloadState} allows. The condition on the old state makes each move happen once, whoever races.
     */
    private static PreparedStatement move(Connection c, DownloadState from, DownloadState to, String set, String where)
            throws SQLException {
        from.requireMove(to);
        return c.prepareStatement("UPDATE download SET state = '" + to + "', " + set + " WHERE state = '" + from
                + "' AND " + where);
    }

    /** The database's clock, the one every row's timestamps come from, whatever the node's clock says. */
    private static Timestamp databaseNow(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT CURRENT_TIMESTAMP");
                ResultSet r = s.executeQuery()) {
            r.next();
            return r.getTimestamp(1);
        }
    }

    /**
     * Keeps the given downloads, the ones this process is really running, visibly alive; a stale heartbeat tells every
     * node (this one too) that nobody runs the download any more. A row left RUNNING by a broken failure path is not
     * in the list, goes stale, and is queued again.
     */
    public int heartbeat(Collection<String> ids) throws SQLException {
        if (ids.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("UPDATE download SET heartbeat_at = CURRENT_TIMESTAMP"
                        + " WHERE id = ? AND state = '" + RUNNING + "' AND owner_node = ?")) {
            for (String id : ids) {
                s.setString(1, id);
                s.setString(2, nodeId);
                s.addBatch();
            }
            int alive = 0;
            for (int updated : s.executeBatch()) {
                alive += Math.max(updated, 0);
            }
            return alive;
        }
    }

    /** How many downloads are queued, running and parked, over every node: what the metrics show as the backlog. */
    public Map<DownloadState, Long> countUnfinished() throws SQLException {
        Map<DownloadState, Long> counts = new EnumMap<>(DownloadState.class);
        for (DownloadState state : DownloadState.values()) {
            if (!state.ended()) {
                counts.put(state, 0L);
            }
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT state, COUNT(*) FROM download WHERE state IN "
                        + states(false) + " GROUP BY state");
                ResultSet r = s.executeQuery()) {
            while (r.next()) {
                counts.put(DownloadState.valueOf(r.getString(1)), r.getLong(2));
            }
        }
        return counts;
    }

    private static final String STATUS_COLUMNS = "id, state, owner_node, attempts, created_at, started_at, ended_at,"
            + " outcome_json";

    /** The row of {@code id} as the status API shows it; null when there is none. */
    public DownloadStatus status(String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT " + STATUS_COLUMNS + " FROM download WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? status(r) : null;
            }
        }
    }

    /** A page of the downloads in {@code state} (all when null), the newest first. */
    public List<DownloadStatus> list(DownloadState state, int offset, int limit) throws SQLException {
        String where = state == null ? "" : " WHERE state = '" + state + "'";
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT " + STATUS_COLUMNS + " FROM download" + where
                        + " ORDER BY created_at DESC, id OFFSET " + offset + " ROWS FETCH NEXT " + limit + " ROWS ONLY");
                ResultSet r = s.executeQuery()) {
            List<DownloadStatus> page = new ArrayList<>();
            while (r.next()) {
                page.add(status(r));
            }
            return page;
        }
    }

    private static DownloadStatus status(ResultSet r) throws SQLException {
        return new DownloadStatus(r.getString(1), DownloadState.valueOf(r.getString(2)), r.getString(3), r.getInt(4),
                instant(r.getTimestamp(5)), instant(r.getTimestamp(6)), instant(r.getTimestamp(7)), r.getString(8));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    /**
     * Cancels a download that has not ended, wherever it is (queued, parked, or running on any node), with its dead
     * letter recorded for the outbox; returns the state it was in, null when it had ended meanwhile. A node running it learns at its next
     * heartbeat ({@link #cancelledAmong}) and stops its lanes; its own outcome is then refused, as it owns no RUNNING
     * row any more.
     */
    public DownloadState cancel(Outcome cancelled) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            for (DownloadState from : List.of(QUEUED, PARKED, RUNNING)) {
                try (PreparedStatement s = move(c, from, DownloadState.CANCELLED, "owner_node = NULL,"
                        + " outcome_topic = ?, outcome_json = ?, ended_at = CURRENT_TIMESTAMP", "id = ?")) {
                    s.setString(1, cancelled.topic());
                    s.setString(2, cancelled.json());
                    s.setString(3, cancelled.id());
                    if (s.executeUpdate() == 1) {
                        return from;
                    }
                }
            }
            return null;
        }
    }

    /** Which of these downloads were cancelled. */
    public Set<String> cancelledAmong(Collection<String> ids) throws SQLException {
        Set<String> cancelled = new HashSet<>();
        if (ids.isEmpty()) {
            return cancelled;
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT id FROM download WHERE state = '"
                        + DownloadState.CANCELLED + "' AND id IN (" + String.join(", ", ids.stream().map(id -> "?")
                                .toList()) + ")")) {
            int i = 1;
            for (String id : ids) {
                s.setString(i++, id);
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    cancelled.add(r.getString(1));
                }
            }
        }
        return cancelled;
    }
}
