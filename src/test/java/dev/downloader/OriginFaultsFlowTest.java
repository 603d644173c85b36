package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.state.Database;
import dev.downloader.testsupport.TestServicesResource;
import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.common.annotation.Identifier;

/**
 * An origin that drops connections, answers 503 (or asks to come back much later), ignores Range or refuses HEAD still
 * yields the exact file.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class OriginFaultsFlowTest extends FlowSupport {

    @Inject
    @Identifier(Database.NAME)
    DataSource dataSource;

    @Test
    void resetsMidBodyAndA503AreRetriedToCompletion() throws Exception {
        byte[] content = randomBytes(640_000, 10);
        TestOrigin.Served served = origin.serve("/flaky/file.bin", content);
        // the faults hit the ranges, from the first GET after the probe's
        served.onGet(2, () -> served.droppingFirst(3).failingFirst(1, 503));

        JsonNode result = download("flaky-1", "/flaky/file.bin", content, ", \"connections\": 3");

        assertEquals(4, result.path("retries").asInt(), "one redelivery per fault: " + result);
        assertEquals(content.length, result.path("bytesTransferred").asLong(),
                "bytes received before a drop were kept, none fetched twice: " + result);
        // chunks start at multiples of the 64 KiB test chunk size: any other start is a retry resuming mid-chunk
        assertTrue(served.gets.stream().filter(r -> r.startsWith("bytes="))
                .mapToLong(r -> Long.parseLong(r.substring(6, r.indexOf('-'))))
                .anyMatch(start -> start % 65536 != 0), "a retry resumed mid-chunk: " + served.gets);
    }

    @Test
    void aRetryAfterLongerThanTheInlineBudgetParksTheDownloadUntilItIsDue() throws Exception {
        // the test budget is 1 s (downloader.retry.park-beyond-ms): a Retry-After of 2 s parks
        byte[] content = randomBytes(640_000, 13);
        TestOrigin.Served served = origin.serve("/parked/file.bin", content).failingFirst(1, 503, 2);
        TestKafka.get().send("parked-1", """
                {"id": "parked-1", "url": "%s", "checksum": {"algorithm": "sha256", "value": "%s"}, "connections": 2}
                """.formatted(origin.url("/parked/file.bin"), sha256(content)));

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> "PARKED|null".equals(row("parked-1", "state") + "|" + row("parked-1", "owner_node")));
        JsonNode result = TestKafka.get().awaitOutcome("parked-1").json();

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        assertEquals("1", row("parked-1", "parks"));
        assertEquals(content.length, served.bytesSent.get(), "what arrived before the park was kept: " + served.gets);
    }

    @Test
    void a429IsRetriedNoSoonerThanItsRetryAfterInSeconds() throws Exception {
        // the test's backoff starts at 50 ms: a retry a second later is the origin's Retry-After, honoured
        byte[] content = randomBytes(100_000, 18);
        TestOrigin.Served served = origin.serve("/429/file.bin", content).failingFirst(1, 429, 1);

        JsonNode result = download("429-1", "/429/file.bin", content, ", \"connections\": 1");

        assertEquals(1, result.path("retries").asInt(), result.toString());
        long waited = served.getTimes.get(1) - served.getTimes.get(0);
        assertTrue(waited >= 950, "the retry came " + waited + " ms after the 429");
    }

    @Test
    void a429WithARetryAfterDateBeyondTheInlineBudgetParksUntilThatDate() throws Exception {
        // an HTTP date 3 s ahead: more than the test's 1 s inline budget, so the download parks until then
        byte[] content = randomBytes(100_000, 19);
        java.time.ZonedDateTime due = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(3);
        TestOrigin.Served served = origin.serve("/429-date/file.bin", content).failingFirst(1, 429,
                java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(due));
        TestKafka.get().send("429-2", "{\"id\": \"429-2\", \"url\": \"" + origin.url("/429-date/file.bin")
                + "\", \"connections\": 1}");

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> "PARKED".equals(row("429-2", "state")));
        JsonNode result = TestKafka.get().awaitOutcome("429-2").json();

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        // the date has whole seconds: the retry may come up to a second before the instant it was made from
        long early = due.toInstant().toEpochMilli() - served.getTimes.get(1);
        assertTrue(early <= 1000, "retried " + early + " ms before the date the origin named");
    }

    @Test
    void anOriginThatRefusesConnectionsUntilItComesUpIsRetriedToCompletion() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        byte[] content = randomBytes(200_000, 21);
        String url = "http://127.0.0.1:" + port + "/late/file.bin";
        TestKafka.get().send("refused-1", "{\"id\": \"refused-1\", \"url\": \"" + url + "\", \"checksum\":"
                + " {\"algorithm\": \"sha256\", \"value\": \"" + sha256(content) + "\"}}");
        // nothing listens yet: the probe's first tries are refused; the origin comes up within the retry budget
        Thread.sleep(400);
        try (TestOrigin late = new TestOrigin(port)) {
            late.serve("/late/file.bin", content);
            JsonNode result = TestKafka.get().awaitOutcome("refused-1").json();
            assertEquals("COMPLETED", result.path("status").asText(), result.toString());
            assertTrue(result.path("retries").asInt() >= 1, "refused connections were retried: " + result);
            assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        }
    }

    @Test
    void aRangeThatGoesSilentAfterItsHeadersIsAbortedAndRetried() throws Exception {
        // the test's silence limit is 1.5 s (downloader.stall.silence-ms); the origin never sends the body of the
        // first GET, so without the limit this download would never end
        byte[] content = randomBytes(300_000, 14);
        origin.serve("/silent/file.bin", content).stallingFirst(1, 0);

        JsonNode result = download("silent-1", "/silent/file.bin", content, "");

        assertEquals(1, result.path("retries").asInt(), result.toString());
    }

    @Test
    void aDripBelowTheFloorIsAbortedAndRetriedOnAFreshConnection() throws Exception {
        // the test's floor is 32 KiB/s over 500 ms windows (downloader.stall.*); this origin drips 4 KiB/s. One
        // connection: with more, an idle one would take the dripping range over before the floor is judged
        byte[] content = randomBytes(300_000, 15);
        origin.serve("/drip/file.bin", content).stallingFirst(2, 4096);

        JsonNode result = download("drip-1", "/drip/file.bin", content, ", \"connections\": 1");

        assertEquals(2, result.path("retries").asInt(), result.toString());
    }

    @Test
    void anOriginThatNeverStopsStallingEndsAsStalledWhenTheRetriesRunOut() throws Exception {
        byte[] content = randomBytes(100_000, 16);
        origin.serve("/always-drip/file.bin", content).stallingFirst(1000, 4096);

        JsonNode outcome = outcome("drip-2", origin.url("/always-drip/file.bin"), "");

        assertEquals("FAILED", outcome.path("status").asText(), outcome.toString());
        assertEquals("STALLED", outcome.path("error").path("code").asText(), outcome.toString());
        assertTrue(outcome.path("error").path("retryable").asBoolean());
    }

    @Test
    void downloadsToOneHostShareItsConnectionBudgetAndEveryLaneWaitsItsTurn() throws Exception {
        // four downloads of eight connections each (32 lanes) to one host whose budget is 16 connections
        int before = origin.mostConcurrentGets.getAndSet(0);
        List<byte[]> contents = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            byte[] content = randomBytes(1_048_576, 20 + i);
            contents.add(content);
            origin.serve("/shared/" + i + ".bin", content).throttled(512 * 1024);
            TestKafka.get().send("shared-" + i, """
                    {"id": "shared-%d", "url": "%s", "connections": 8}
                    """.formatted(i, origin.url("/shared/" + i + ".bin")));
        }
        for (int i = 0; i < 4; i++) {
            JsonNode result = TestKafka.get().awaitOutcome("shared-" + i).json();
            assertEquals("COMPLETED", result.path("status").asText(), result.toString());
            assertEquals(0, result.path("retries").asInt(), "no lane failed for want of a connection: " + result);
            assertArrayEquals(contents.get(i), Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        }
        int most = origin.mostConcurrentGets.get();
        assertTrue(most <= 16, "never more than the host's budget at once: " + most);
        assertTrue(most > 8, "the budget was shared by several downloads: " + most + " (before: " + before + ")");
    }

    @Test
    void idleConnectionsTakeOverTheRestOfASlowConnectionsRange() throws Exception {
        // four connections at 640 KiB/s, one of them at a tenth of that: the other three are done with the other 15
        // chunks while the slow one is half-way through its first; then one of them takes the rest of it
        byte[] content = randomBytes(1_048_576, 17);
        TestOrigin.Served served = origin.serve("/tail/file.bin", content).throttled(640 * 1024);
        // the connection of the first range is the slow one (the probe's GET, before it, brought chunk 0)
        served.onGet(2, () -> served.slowFirstConnection(64 * 1024));

        JsonNode result = download("tail-1", "/tail/file.bin", content, ", \"connections\": 4");

        assertTrue(result.path("chunks").asInt() > 16, "a range was cut, its rest fetched as a new chunk: " + result);
        assertTrue(served.slowConnectionBytesSent.get() < 65_536,
                "the slow connection did not have to finish its range: " + served.slowConnectionBytesSent.get());
        assertEquals(0, result.path("retries").asInt(), result.toString());
    }

    private String row(String id, String column) throws SQLException {
        return column(dataSource, id, column);
    }

    @Test
    void aServerThatIgnoresRangeIsFetchedAsOneStream() throws Exception {
        byte[] content = randomBytes(500_000, 11);
        TestOrigin.Served served = origin.serve("/norange/file.bin", content).ignoringRange();

        JsonNode result = download("norange-1", "/norange/file.bin", content, "");

        assertEquals(1, result.path("chunks").asInt(), result.toString());
        assertEquals(0, served.partialResponses.get());
    }

    @Test
    void aServerThatRefusesHeadIsFetchedInRanges() throws Exception {
        byte[] content = randomBytes(200_000, 12);
        TestOrigin.Served served = origin.serve("/nohead/file.bin", content).refusingHead();

        JsonNode result = download("nohead-1", "/nohead/file.bin", content, "");

        assertTrue(origin.seen("/nohead/").stream().noneMatch(seen -> seen.method().equals("HEAD")),
                "the probe is a GET of the first bytes");
        assertEquals("bytes=0-65535", served.gets.get(0), served.gets.toString());
        assertTrue(result.path("chunks").asInt() > 1, "still fetched in ranges: " + result);
    }

    @Test
    void aStatusThatNeverClearsEndsAfterExactlyTheConfiguredRetries() {
        TestOrigin.Served served = origin.serve("/down/file.bin", randomBytes(50_000, 13)).failingFirst(1000, 503);
        TestKafka.get().send("down-1", "{\"id\": \"down-1\", \"url\": \"" + origin.url("/down/file.bin") + "\"}");

        JsonNode letter = TestKafka.get().awaitOutcome("down-1").json();

        assertEquals("HTTP_503", letter.path("error").path("code").asText(), letter.toString());
        assertTrue(letter.path("error").path("retryable").asBoolean());
        int maxRedeliveries = org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("downloader.retry.max-redeliveries", Integer.class);
        assertEquals(1 + maxRedeliveries, served.gets.size(), "one chunk: one try and its redeliveries, then no more: " + served.gets);
    }

    private JsonNode download(String id, String path, byte[] content, String extra) throws Exception {
        TestKafka.get().send(id, """
                {"id": "%s", "url": "%s", "checksum": {"algorithm": "sha256", "value": "%s"}%s}
                """.formatted(id, origin.url(path), sha256(content), extra));
        JsonNode result = TestKafka.get().awaitOutcome(id).json();
        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        return result;
    }
}
