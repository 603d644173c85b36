package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.fetch.OriginHosts;
import dev.downloader.state.Database;
import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.common.annotation.Identifier;

/**
 * Politeness per host, across downloads: a small connection budget shared by many downloads, halved after a 429 and
 * grown back; a request-rate limit per host; an overall bandwidth cap; a circuit breaker that parks a failing host's
 * downloads. Each test talks to the origin under a name of its own, so hosts' states do not mix.
 */
@QuarkusTest
@TestProfile(PolitenessFlowTest.Polite.class)
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class PolitenessFlowTest extends FlowSupport {

    static final int BUDGET = 4;
    static final int REQUESTS_PER_SECOND = 20;
    static final long BYTES_PER_SECOND = 1 << 20;

    /** A host budget of 4, 20 requests per second per host, 1 MiB/s in all, a breaker over 6 calls open for 2 s. */
    public static class Polite implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("downloader.max-connections-per-host", Integer.toString(BUDGET),
                    "downloader.host.max-requests-per-second", Integer.toString(REQUESTS_PER_SECOND),
                    "downloader.max-bytes-per-second", Long.toString(BYTES_PER_SECOND),
                    "downloader.host.breaker.window", "6",
                    "downloader.host.breaker.failure-ratio", "0.5",
                    "downloader.host.breaker.open-ms", "2000");
        }
    }

    @Inject
    @Identifier(Database.NAME)
    DataSource dataSource;

    @Inject
    OriginHosts hosts;

    @Test
    void manyDownloadsToOneHostShareItsSmallBudgetAndNoLaneFailsForWantOfAConnection() throws Exception {
        int before = origin.mostConcurrentGets.getAndSet(0);
        List<byte[]> contents = requestMany("budget", 5, 262_144, 40, 256 * 1024, ", \"connections\": 4");
        for (JsonNode result : completedAll("budget", contents)) {
            assertEquals(0, result.path("retries").asInt(), "no lane failed for want of a connection: " + result);
        }
        int most = origin.mostConcurrentGets.get();
        assertTrue(most <= BUDGET, "never more than the host's budget at once: " + most + " (before: " + before + ")");
    }

    @Test
    void a429BurstHalvesTheHostsBudgetWhichThenGrowsBack() throws Exception {
        mapHost("aimd.test", "127.0.0.1");
        byte[] content = randomBytes(1_048_576, 50);
        // the first four GETs, one per connection, are told to slow down
        TestOrigin.Served served = origin.serve("/aimd/file.bin", content).throttled(128 * 1024)
                .failingFirst(4, 429, 0);
        TestKafka.get().send("aimd-1", "{\"id\": \"aimd-1\", \"url\": \"" + origin.url("aimd.test", "/aimd/file.bin")
                + "\", \"connections\": 4}");

        completed("aimd-1", content);

        List<Integer> concurrency = served.concurrencyAtGet;
        assertTrue(Collections.max(concurrency.subList(4, 7)) <= BUDGET / 2,
                "right after the 429s, half the budget: " + concurrency);
        assertTrue(Collections.max(concurrency.subList(7, concurrency.size())) > BUDGET / 2,
                "then it grew back: " + concurrency);
    }

    @Test
    void requestsToOneHostStayUnderItsRateLimit() throws Exception {
        completedAll("rate", requestMany("rate", 50, 1000, 60, 0, ""));
        // one GET each (the probe's brings the whole file): 50 requests, never more than 20 within any second
        List<Long> times = origin.seen("/rate/").stream().map(TestOrigin.Seen::at).sorted().toList();
        assertEquals(50, times.size());
        int most = 0;
        for (int first = 0, last = 0; last < times.size(); last++) {
            while (times.get(last) - times.get(first) >= 1000) {
                first++;
            }
            most = Math.max(most, last - first + 1);
        }
        // a slot is taken when the connection is leased: a request on a connection still being opened (at most one
        // per connection of the budget) reaches the origin a little later than its slot, so a window seen from the
        // origin may hold those few more; without the limit all 50 arrive within a few hundred milliseconds
        assertTrue(most <= REQUESTS_PER_SECOND + BUDGET, most + " requests within one second: " + times);
        assertTrue(times.get(times.size() - 1) - times.get(0) >= 2000, "50 requests at 20 a second: " + times);
    }

    @Test
    void theBandwidthCapHoldsAcrossDownloads() throws Exception {
        long started = System.nanoTime();
        completedAll("bandwidth", requestMany("bandwidth", 3, 1_048_576, 70, 0, ""));
        long millis = (System.nanoTime() - started) / 1_000_000;
        // 3 MiB under 1 MiB/s, of which the limiter may let one second's worth through at once after being idle
        assertTrue(millis >= 1800, "3 MiB arrived in " + millis + " ms");
    }

    @Test
    void aHostThatKeepsFailingOpensItsCircuitAndItsDownloadsParkInsteadOfCallingIt() throws Exception {
        mapHost("failing.test", "127.0.0.1");
        byte[] content = randomBytes(262_144, 80);
        TestOrigin.Served served = origin.serve("/failing/file.bin", content).failingFirst(1000, 503);
        TestKafka.get().send("failing-1", "{\"id\": \"failing-1\", \"url\": \""
                + origin.url("failing.test", "/failing/file.bin") + "\", \"connections\": 2}");

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> "PARKED".equals(state("failing-1")));
        int failedGets = served.gets.size();
        // while it is open nothing reaches the host; then the host recovers, the circuit closes, the file completes
        Thread.sleep(1000);
        assertEquals(failedGets, served.gets.size(), "no call while the circuit is open: " + served.gets);
        served.failingFirst(0, 503);
        JsonNode result = completed("failing-1", content);

        assertTrue(failedGets <= 6, "the breaker opened within its window of 6 calls: " + failedGets + " 503s");
        assertTrue(served.getTimes.get(failedGets) - served.getTimes.get(failedGets - 1) >= 1900,
                "the next call came once the circuit's 2 s were over: " + served.getTimes);
        assertEquals("1", String.valueOf(parks("failing-1")), result.toString());
    }

    @Test
    void anOpenCircuitAtTheOriginMovesItsRangesToTheMirror() throws Exception {
        mapHost("storm.test", "127.0.0.1");
        byte[] content = randomBytes(1_048_576, 81);
        try (TestOrigin mirror = new TestOrigin()) {
            // a 503 storm at the origin once its probe was answered; the mirror has the same file
            TestOrigin.Served atOrigin = origin.serve("/storm/file.bin", content);
            atOrigin.onGet(2, () -> atOrigin.failingFirst(1000, 503));
            TestOrigin.Served atMirror = mirror.serve("/storm/file.bin", content);
            TestKafka.get().send("storm-1", "{\"id\": \"storm-1\", \"url\": \""
                    + origin.url("storm.test", "/storm/file.bin") + "\", \"mirrors\": [\""
                    + mirror.url("/storm/file.bin") + "\"], \"connections\": 4}");

            JsonNode result = completed("storm-1", content);

            // the origin's bytes are the probe's: chunk 0; every range after it went to the mirror
            assertEquals(65_536, result.path("sources").get(0).path("bytes").asLong(), result.toString());
            assertEquals(content.length - 65_536, result.path("sources").get(1).path("bytes").asLong(), result.toString());
            assertFalse(hosts.callable(java.net.URI.create(origin.url("storm.test", "/"))),
                    "the origin's circuit opened (and is open for 2 s)");
            // the probe's GET, then at most the breaker's window and the calls already on their way
            assertTrue(atOrigin.gets.size() <= 1 + 6 + BUDGET, "the open circuit spared the origin: " + atOrigin.gets.size()
                    + " GETs, the mirror served " + atMirror.gets.size());
            assertEquals("0", parks("storm-1"), "with a mirror to go to, nothing parks");
        }
    }

    /**
     * Serves {@code count} random files of {@code size} bytes at /name/i.bin ({@code bytesPerSecond} per connection, 0
     * for no limit) and requests each as id name-i through the host name.test, with {@code extra} request fields.
     */
    private List<byte[]> requestMany(String name, int count, int size, long seed, long bytesPerSecond, String extra) {
        mapHost(name + ".test", "127.0.0.1");
        List<byte[]> contents = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] content = randomBytes(size, seed + i);
            contents.add(content);
            origin.serve("/" + name + "/" + i + ".bin", content).throttled(bytesPerSecond);
            TestKafka.get().send(name + "-" + i, "{\"id\": \"" + name + "-" + i + "\", \"url\": \""
                    + origin.url(name + ".test", "/" + name + "/" + i + ".bin") + "\"" + extra + "}");
        }
        return contents;
    }

    private List<JsonNode> completedAll(String name, List<byte[]> contents) throws Exception {
        List<JsonNode> results = new ArrayList<>();
        for (int i = 0; i < contents.size(); i++) {
            results.add(completed(name + "-" + i, contents.get(i)));
        }
        return results;
    }

    private JsonNode completed(String id, byte[] content) throws Exception {
        JsonNode result = TestKafka.get().awaitOutcome(id).json();
        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        return result;
    }

    private String state(String id) throws Exception {
        return column(dataSource, id, "state");
    }

    private String parks(String id) throws Exception {
        return column(dataSource, id, "parks");
    }
}
