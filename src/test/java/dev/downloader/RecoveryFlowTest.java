package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A download whose node stopped (its row RUNNING, its heartbeat old) is queued again by the Quartz recovery route
 * and completed here: the row is the one a killed node leaves behind, written into the service's real database.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class RecoveryFlowTest extends FlowSupport {

    @Inject
    DataSource dataSource;

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
}
