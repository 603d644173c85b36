package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.state.Database;
import dev.downloader.state.DownloadStore;
import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.smallrye.common.annotation.Identifier;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A download whose node stopped (its row RUNNING, its heartbeat old) is queued again by the Quartz recovery route
 * and completed here, from its saved progress when it has some: the row, its chunks and its part file are what a
 * killed node leaves behind, written into the service's real database and data directory.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class RecoveryFlowTest extends FlowSupport {

    @Inject
    @Identifier(Database.NAME)
    DataSource dataSource;

    @Inject
    DownloadStore store;

    @Test
    void aDownloadLeftRunningByADeadNodeIsTakenOverAndCompleted() throws Exception {
        byte[] content = randomBytes(120_000, 100);
        origin.serve("/orphan/a.bin", content);
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("INSERT INTO download (id, state, request_json, priority,"
                        + " source_topic, source_partition, source_offset, owner_node, heartbeat_at, attempts, started_at)"
                        + " VALUES (?, 'RUNNING', ?, 0, 'downloads.requests', 0, 999999, 'node-that-died', ?, 1, ?)")) {
            Timestamp anHourAgo = Timestamp.from(Instant.now().minusSeconds(3600));
            s.setString(1, "orphan-1");
            s.setString(2, "{\"id\": \"orphan-1\", \"url\": \"" + origin.url("/orphan/a.bin") + "\"}");
            s.setTimestamp(3, anHourAgo);
            s.setTimestamp(4, anHourAgo);
            s.executeUpdate();
        }

        JsonNode result = TestKafka.get().awaitOutcome("orphan-1").json();

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT state, attempts, owner_node FROM download WHERE id = ?")) {
            s.setString(1, "orphan-1");
            try (ResultSet r = s.executeQuery()) {
                r.next();
                assertEquals("COMPLETED", r.getString(1));
                assertEquals(2, r.getInt(2), "claimed a second time, by this node");
                assertEquals(false, "node-that-died".equals(r.getString(3)));
            }
        }
    }

    @Test
    void aRowThisNodeLeftRunningWithoutADownloadBehindItGoesStaleAndIsRecovered() throws Exception {
        // what a failure path that broke leaves: RUNNING under this very node, no worker running it. The heartbeat
        // used to refresh every RUNNING row of the node, so it stayed RUNNING for ever.
        byte[] content = randomBytes(90_000, 104);
        origin.serve("/orphan/leaked.bin", content);
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("INSERT INTO download (id, state, request_json, priority,"
                        + " source_topic, source_partition, source_offset, owner_node, heartbeat_at, attempts, started_at)"
                        + " VALUES (?, 'RUNNING', ?, 0, 'downloads.requests', 0, 999997, ?, CURRENT_TIMESTAMP, 1,"
                        + " CURRENT_TIMESTAMP)")) {
            s.setString(1, "leaked-1");
            s.setString(2, "{\"id\": \"leaked-1\", \"url\": \"" + origin.url("/orphan/leaked.bin") + "\"}");
            s.setString(3, store.nodeId());
            s.executeUpdate();
        }

        JsonNode result = TestKafka.get().awaitOutcome("leaked-1").json();

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
    }

    @Test
    void theCleanUpForgetsOldAnsweredRowsAndRemovesOnlyPartFilesNoUnfinishedDownloadOwns() throws Exception {
        Path tmp = Files.createDirectories(dataDir().resolve("tmp"));
        Path ghost = Files.write(tmp.resolve("ghost-1.part"), new byte[1000]);
        Path parkedPart = Files.write(tmp.resolve("parked-long.part"), new byte[1000]);
        for (Path part : List.of(ghost, parkedPart)) {
            // written before the stale-heartbeat window: not a part file some download is writing right now
            Files.setLastModifiedTime(part, FileTime.from(Instant.now().minusSeconds(3600)));
        }
        Timestamp fortyDaysAgo = Timestamp.from(Instant.now().minusSeconds(40L * 86400));
        Timestamp aDayAgo = Timestamp.from(Instant.now().minusSeconds(86400));
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("INSERT INTO download (id, state, request_json, ended_at,"
                        + " published_at, next_attempt_at) VALUES (?, ?, '{}', ?, ?, ?)")) {
            insert(s, "old-answered", "COMPLETED", fortyDaysAgo, fortyDaysAgo, null);
            insert(s, "recent-answered", "FAILED", aDayAgo, aDayAgo, null);
            insert(s, "old-unanswered", "COMPLETED", fortyDaysAgo, null, null);
            insert(s, "parked-long", "PARKED", null, null, Timestamp.from(Instant.now().plusSeconds(3600)));
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> !Files.exists(ghost) && !exists("old-answered"));

        assertTrue(Files.exists(parkedPart), "a parked download's part file is kept for its resume");
        assertTrue(exists("recent-answered"), "kept for downloader.cleanup.keep-rows-days");
        assertTrue(exists("old-unanswered"), "an outcome not yet published stays for the outbox relay");
        assertTrue(exists("parked-long"));
    }

    private static void insert(PreparedStatement s, String id, String state, Timestamp ended, Timestamp published,
            Timestamp nextAttempt) throws Exception {
        s.setString(1, id);
        s.setString(2, state);
        s.setTimestamp(3, ended);
        s.setTimestamp(4, published);
        s.setTimestamp(5, nextAttempt);
        s.executeUpdate();
    }

    private boolean exists(String id) throws Exception {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT 1 FROM download WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    @Test
    void aDownloadLeftWithSavedProgressResumesFromItWithTheSavedValidator() throws Exception {
        byte[] content = randomBytes(200_000, 101);
        TestOrigin.Served served = origin.serve("/orphan/resumed.bin", content);
        // what the dead node left: chunk 0 whole, 10,000 bytes of chunk 1, nothing of chunks 2 and 3; the rest of the part
        // file is whatever the disk held (here: bytes that must never reach the result)
        byte[] part = randomBytes(content.length, 7);
        System.arraycopy(content, 0, part, 0, 65_536 + 10_000);
        Files.createDirectories(dataDir().resolve("tmp"));
        Files.write(dataDir().resolve("tmp/orphan-resumed.part"), part);
        insertOrphanWithPlan("orphan-resumed", origin.url("/orphan/resumed.bin"), content.length, served.etag(),
                "raw/orphans/resumed.bin", 65_536, 10_000, 0, 0);

        JsonNode result = TestKafka.get().awaitOutcome("orphan-resumed").json();

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertTrue(result.path("resumed").asBoolean(), result.toString());
        assertEquals("raw/orphans/resumed.bin", result.path("path").asText());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve("raw/orphans/resumed.bin")));
        assertEquals(sha256(content), result.path("sha256").asText());
        // the probe asks for one byte only: a saved plan has the first ones on disk
        assertEquals("bytes=0-0", served.gets.get(0), served.gets.toString());
        assertEquals(List.of("bytes=131072-196607", "bytes=196608-199999", "bytes=75536-131071"),
                served.gets.stream().skip(1).sorted().toList(), "only the bytes not saved are fetched");
        assertEquals(content.length - 65_536 - 10_000, result.path("bytesTransferred").asLong());
        List<TestOrigin.Seen> gets = origin.seen("/orphan/resumed.bin").stream()
                .filter(get -> get.method().equals("GET")).toList();
        for (TestOrigin.Seen range : gets.subList(1, gets.size())) {
            assertEquals(served.etag(), range.header("if-range"), "every range carries the saved validator");
        }
        assertFalse(Files.exists(dataDir().resolve("tmp/orphan-resumed.part")));
    }

    @Test
    void aResumedDownloadWhoseFileChangedMeanwhileStartsOverAndNeverMixesVersions() throws Exception {
        byte[] then = randomBytes(200_000, 102);
        byte[] now = randomBytes(200_000, 103);
        TestOrigin.Served served = origin.serve("/orphan/changed.bin", now);
        byte[] part = new byte[then.length];
        System.arraycopy(then, 0, part, 0, 131_072);
        Files.createDirectories(dataDir().resolve("tmp"));
        Files.write(dataDir().resolve("tmp/orphan-changed.part"), part);
        insertOrphanWithPlan("orphan-changed", origin.url("/orphan/changed.bin"), then.length, "\"the-old-version\"",
                "raw/orphans/changed.bin", 65_536, 65_536, 0, 0);

        JsonNode result = TestKafka.get().awaitOutcome("orphan-changed").json();

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertFalse(result.path("resumed").asBoolean(), result.toString());
        assertArrayEquals(now, Files.readAllBytes(dataDir().resolve("raw/orphans/changed.bin")));
        assertEquals(now.length, result.path("bytesTransferred").asLong(), "every byte fetched again");
        // the probe's one byte starts chunk 0 over, the rest of it follows
        assertTrue(served.gets.contains("bytes=0-0") && served.gets.contains("bytes=1-65535"), served.gets.toString());
    }

    /** A RUNNING row of a node that died, with its plan: chunks of 64 KiB (the last one shorter) and their progress. */
    private void insertOrphanWithPlan(String id, String url, long size, String etag, String target, long... received)
            throws Exception {
        Timestamp anHourAgo = Timestamp.from(Instant.now().minusSeconds(3600));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement s = c.prepareStatement("INSERT INTO download (id, state, request_json, priority,"
                    + " source_topic, source_partition, source_offset, owner_node, heartbeat_at, attempts, started_at,"
                    + " effective_url, file_size, etag, last_modified, ranged, chunk_size, target_path)"
                    + " VALUES (?, 'RUNNING', ?, 0, 'downloads.requests', 0, 999998, 'node-that-died', ?, 1, ?,"
                    + " ?, ?, ?, 'Wed, 21 Oct 2026 07:28:00 GMT', TRUE, 65536, ?)")) {
                s.setString(1, id);
                s.setString(2, "{\"id\": \"" + id + "\", \"url\": \"" + url + "\", \"target\": \"" + target + "\"}");
                s.setTimestamp(3, anHourAgo);
                s.setTimestamp(4, anHourAgo);
                s.setString(5, url);
                s.setLong(6, size);
                s.setString(7, etag);
                s.setString(8, target);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO download_chunk (download_id, idx, start_offset,"
                    + " end_offset, received) VALUES (?, ?, ?, ?, ?)")) {
                for (int i = 0; i < received.length; i++) {
                    s.setString(1, id);
                    s.setInt(2, i);
                    s.setLong(3, i * 65_536L);
                    s.setLong(4, Math.min(size, (i + 1) * 65_536L) - 1);
                    s.setLong(5, received[i]);
                    s.addBatch();
                }
                s.executeBatch();
            }
            c.commit();
        }
    }
}
