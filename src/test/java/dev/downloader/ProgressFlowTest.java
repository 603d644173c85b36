package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** What a user watching a download sees on the progress topic. */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class ProgressFlowTest extends FlowSupport {

    @Test
    void aRunningDownloadTellsItsProgressOncePerSecondAndLastlyThatItCompleted() throws Exception {
        byte[] content = randomBytes(1_600_000, 61);
        // two connections at 200 KB/s each: about four seconds
        origin.serve("/progress/file.bin", content).throttled(200_000);
        TestKafka.get().send("progress-1", "{\"id\": \"progress-1\", \"url\": \"" + origin.url("/progress/file.bin")
                + "\", \"connections\": 2}");
        assertEquals("COMPLETED", TestKafka.get().awaitOutcome("progress-1").json().path("status").asText());
        List<JsonNode> events = awaitLast("progress-1", "COMPLETED");

        List<JsonNode> running = events.stream().filter(e -> e.path("state").asText().equals("RUNNING")).toList();
        assertTrue(running.size() >= 2, "a four-second download tells its progress while it runs: " + events);
        for (int i = 1; i < running.size(); i++) {
            Duration gap = Duration.between(Instant.parse(running.get(i - 1).path("at").asText()),
                    Instant.parse(running.get(i).path("at").asText()));
            assertTrue(gap.toMillis() >= 900, "at most one event per second: " + gap + " in " + events);
        }
        long before = -1;
        for (JsonNode event : events) {
            assertEquals(content.length, event.path("bytesTotal").asLong(), event.toString());
            assertTrue(event.path("bytesDone").asLong() >= before, "bytes only grow: " + events);
            before = event.path("bytesDone").asLong();
        }
        for (JsonNode event : running) {
            assertTrue(event.path("connectionsActive").asInt() <= 2, "two connections asked: " + event);
        }
        // an event may come between the probe and the lanes' start, with the probe's bytes and no connection yet
        JsonNode midway = running.stream().filter(e -> e.path("connectionsActive").asInt() >= 1
                && e.path("bytesDone").asLong() > 0 && e.path("bytesDone").asLong() < content.length).findFirst()
                .orElseThrow(() -> new AssertionError("no event while the connections ran: " + events));
        assertTrue(midway.path("percent").asDouble() > 0 && midway.path("percent").asDouble() < 100, midway.toString());
        assertTrue(midway.path("bytesPerSecond").asLong() > 0, midway.toString());
        assertTrue(midway.path("etaSeconds").asLong() >= 0 && !midway.path("etaSeconds").isNull(), midway.toString());
        assertTrue(midway.path("chunksDone").asInt() < midway.path("chunksTotal").asInt(), midway.toString());

        JsonNode last = events.get(events.size() - 1);
        assertEquals(content.length, last.path("bytesDone").asLong(), last.toString());
        assertEquals(100.0, last.path("percent").asDouble(), last.toString());
        assertEquals(last.path("chunksTotal").asInt(), last.path("chunksDone").asInt(), last.toString());
        assertEquals(0, last.path("connectionsActive").asInt(), last.toString());
        assertEquals(1, events.stream().filter(e -> !e.path("state").asText().equals("RUNNING")).count(),
                "one last event: " + events);
    }

    @Test
    void aDownloadThatFailsEndsWithAFailedEvent() {
        origin.serve("/progress/missing.bin", new byte[0]).answering(404);
        TestKafka.get().send("progress-2", "{\"id\": \"progress-2\", \"url\": \"" + origin.url("/progress/missing.bin")
                + "\"}");
        assertEquals("FAILED", TestKafka.get().awaitOutcome("progress-2").json().path("status").asText());

        JsonNode last = awaitLast("progress-2", "FAILED").get(0);
        assertEquals(0, last.path("bytesDone").asLong(), last.toString());
        assertFalse(last.has("error"), "the outcome says why, on its own topic: " + last);
    }

    /** The events of {@code id} once its last one, in {@code state}, has arrived. */
    private static List<JsonNode> awaitLast(String id, String state) {
        return await().atMost(Duration.ofSeconds(30)).until(
                () -> TestKafka.get().progress(id).stream().map(TestKafka.Progress::json).toList(),
                events -> !events.isEmpty() && events.get(events.size() - 1).path("state").asText().equals(state));
    }
}
