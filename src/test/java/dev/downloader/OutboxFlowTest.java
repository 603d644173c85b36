package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.downloader.state.Database;
import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.smallrye.common.annotation.Identifier;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The outbox is real: an outcome recorded but never published (the process died between the two) is published by the
 * Quartz relay, once, with the answer owed to a duplicate that waited for it. The row is the one such a death leaves
 * behind, written into the service's real database.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class OutboxFlowTest extends FlowSupport {

    @Inject
    @Identifier(Database.NAME)
    DataSource dataSource;

    @Test
    void aRecordedButUnpublishedOutcomeIsPublishedOnceByTheRelay() throws Exception {
        String result = "{\"id\": \"outbox-1\", \"status\": \"COMPLETED\", \"path\": \"raw/outbox.bin\"}";
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("INSERT INTO download (id, state, request_json, source_topic,"
                        + " source_partition, source_offset, attempts, ended_at, outcome_topic, outcome_json,"
                        + " waiting_duplicates) VALUES ('outbox-1', 'COMPLETED', '{\"id\": \"outbox-1\", \"url\":"
                        + " \"http://127.0.0.1/x\"}', 'downloads.requests', 0, 888888, 1, ?, 'downloads.results', ?, 1)")) {
            s.setTimestamp(1, Timestamp.from(Instant.now().minusSeconds(3600)));
            s.setString(2, result);
            s.executeUpdate();
        }

        TestKafka.get().awaitOutcome(o -> "outbox-1".equals(o.key()) && !o.json().path("duplicate").asBoolean());
        TestKafka.get().awaitOutcome(o -> "outbox-1".equals(o.key()) && o.json().path("duplicate").asBoolean());
        // a few more relay rounds: a published outcome is not published again
        Thread.sleep(2000);

        var outcomes = TestKafka.get().outcomes(o -> "outbox-1".equals(o.key()));
        assertEquals(2, outcomes.size(), "the outcome and the waiting duplicate's answer: " + outcomes);
        assertEquals("raw/outbox.bin", outcomes.get(0).json().path("path").asText());
        assertEquals("downloads.results", outcomes.get(0).topic());
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT published_at, waiting_duplicates FROM download WHERE id = 'outbox-1'");
                ResultSet r = s.executeQuery()) {
            r.next();
            assertNotNull(r.getTimestamp(1));
            assertEquals(0, r.getInt(2));
        }
        assertFalse(outcomes.get(0).json().path("duplicate").asBoolean());
    }
}
