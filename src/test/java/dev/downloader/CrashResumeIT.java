package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.KafkaBroker;
import dev.downloader.testsupport.ServiceProcess;
import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;

/**
 * The packaged service, run as a process, stopped for real in the middle of a download from a throttled origin (four
 * connections, several chunks in flight), then started again on the same data directory: SIGKILL and SIGTERM. What it
 * measures (bytes the origin sent twice) is printed and bounded. A duplicate request sent while the first runs is
 * answered once, across the crash. A node killed right after it committed the offsets of a flood of requests, or
 * published some of their outcomes, loses none of them and answers none twice: H2 writes commits behind, and the
 * service makes them reach the file before it tells Kafka (these tests run H2 with a ten-minute write delay, so only
 * the service's own flushes write anything).
 */
class CrashResumeIT {

    private static final int SIZE = 64 * 1024 * 1024;
    private static final long PER_CONNECTION = 1024 * 1024;
    private static final Path WORK = Path.of("target/crash-resume-it").toAbsolutePath();

    static KafkaBroker broker;
    static TestKafka kafka;
    static TestOrigin origin;
    static byte[] content;

    @BeforeAll
    static void startBrokerAndOrigin() throws Exception {
        broker = KafkaBroker.start(0, WORK.resolve("kafka-" + System.nanoTime()));
        broker.createTopics(List.of("downloads.results", "downloads.dlq", "downloads.progress"));
        kafka = TestKafka.of(broker.bootstrapServers());
        origin = new TestOrigin();
        content = randomBytes(SIZE, 42);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        origin.close();
        kafka.close();
        broker.close();
    }

    @Test
    void sigkillMidDownloadResumesFromTheSavedChunkMap() throws Exception {
        TestOrigin.Served served = origin.serve("/big/kill.bin", content).throttled(PER_CONNECTION);
        Path data = dataDir("kill");
        long sentAtKill;
        try (ServiceProcess first = ServiceProcess.start(config(data, "kill"), WORK.resolve("kill-1.log"))) {
            byte[] request = FlowSupport.request("kill-1", origin.url("/big/kill.bin"), "raw/kill.bin", 4, 4 << 20);
            kafka.send("requests-kill", "kill-1", request);
            awaitSent(served, SIZE / 5);
            // the same id again, in another record, while the first runs: owed one answer, across the crash too
            kafka.send("requests-kill", "kill-1", request);
            awaitSent(served, SIZE * 4L / 10);
            first.kill();
            sentAtKill = served.bytesSent.get();
        }
        JsonNode result;
        try (ServiceProcess second = ServiceProcess.start(config(data, "kill"), WORK.resolve("kill-2.log"))) {
            result = kafka.awaitOutcome(o -> "kill-1".equals(o.key()) && !o.json().has("duplicate")).json();
            kafka.awaitOutcome(o -> "kill-1".equals(o.key()) && o.json().path("duplicate").asBoolean());
            Thread.sleep(1000);
            // the killed node is still a member of the group until its session times out: a graceful stop would
            // wait for that rebalance
            second.kill();
        }
        long refetched = served.bytesSent.get() - SIZE;
        System.out.printf("SIGKILL after %d of %d bytes sent: %d bytes fetched again (%.2f %%)%n", sentAtKill, SIZE,
                refetched, 100.0 * refetched / SIZE);
        assertCompletedWhole(result, data.resolve("raw/kill.bin"));
        assertTrue(result.path("resumed").asBoolean(), result.toString());
        assertTrue(refetched <= SIZE / 20, "at most 5 % fetched again, was " + refetched);
        assertEquals(2, kafka.outcomes(o -> "kill-1".equals(o.key())).size(),
                "exactly one outcome per record: the result, and the duplicate's answer");
    }

    @Test
    void sigtermStopsCleanlyWithEveryByteSavedAndTheRestartFinishes() throws Exception {
        TestOrigin.Served served = origin.serve("/big/term.bin", content).throttled(PER_CONNECTION);
        Path data = dataDir("term");
        Map<String, String> config = quartzFiringAlways(config(data, "term"));
        long sentAtTerm;
        int exit;
        String firstLog;
        List<String> firstErrors;
        try (ServiceProcess first = ServiceProcess.start(config, WORK.resolve("term-1.log"))) {
            kafka.send("requests-term", "term-1",
                    FlowSupport.request("term-1", origin.url("/big/term.bin"), "raw/term.bin", 4, 4 << 20));
            awaitSent(served, SIZE * 4L / 10);
            exit = first.terminate();
            sentAtTerm = served.bytesSent.get();
            firstLog = first.log();
            firstErrors = first.errorLines();
        }
        assertTrue(firstLog.contains("download term-1: stopped with"), "suspended with its progress saved");
        assertEquals(List.of(), firstErrors, "a stop is no error");
        assertFalse(Files.exists(data.resolve("raw/term.bin")));
        JsonNode result;
        List<String> secondErrors;
        try (ServiceProcess second = ServiceProcess.start(config, WORK.resolve("term-2.log"))) {
            result = kafka.awaitOutcome("term-1").json();
            Thread.sleep(1000);
            second.terminate();
            secondErrors = second.errorLines();
        }
        assertEquals(List.of(), secondErrors, "a stop is no error");
        long refetched = served.bytesSent.get() - SIZE;
        System.out.printf("SIGTERM (exit %d) after %d of %d bytes sent: %d bytes fetched again (%.2f %%)%n", exit,
                sentAtTerm, SIZE, refetched, 100.0 * refetched / SIZE);
        assertCompletedWhole(result, data.resolve("raw/term.bin"));
        assertTrue(result.path("resumed").asBoolean(), result.toString());
        assertTrue(refetched <= SIZE / 100, "at most 1 % fetched again, was " + refetched);
        assertEquals(1, kafka.outcomes(o -> "term-1".equals(o.key())).size(), "exactly one outcome");
    }

    @Test
    void aFileChangedWhileTheServiceWasDownFailsOriginChangedWhenConfiguredTo() throws Exception {
        TestOrigin.Served served = origin.serve("/big/changed.bin", content).throttled(PER_CONNECTION);
        Path data = dataDir("changed");
        Map<String, String> config = config(data, "changed");
        config.put("downloader.resume.on-origin-change", "fail");
        try (ServiceProcess first = ServiceProcess.start(config, WORK.resolve("changed-1.log"))) {
            kafka.send("requests-changed", "changed-1",
                    FlowSupport.request("changed-1", origin.url("/big/changed.bin"), "raw/changed.bin", 4, 4 << 20));
            awaitSent(served, SIZE / 10);
            first.terminate();
        }
        byte[] newVersion = content.clone();
        newVersion[SIZE - 1] ^= 1;
        origin.serve("/big/changed.bin", newVersion);
        JsonNode result;
        try (ServiceProcess second = ServiceProcess.start(config, WORK.resolve("changed-2.log"))) {
            result = kafka.awaitOutcome("changed-1").json();
        }
        assertEquals("FAILED", result.path("status").asText(), result.toString());
        assertEquals("ORIGIN_CHANGED", result.path("error").path("code").asText(), result.toString());
        assertFalse(Files.exists(data.resolve("raw/changed.bin")), "nothing mixing two versions is ever placed");
        assertFalse(Files.exists(data.resolve("tmp/changed-1.part")));
    }

    @Test
    void sigkillRightAfterAFloodsOffsetsAreCommittedLosesNoRequest() throws Exception {
        // one slot, held by a slow file (taken first), so the rest of the flood waits in the database, recorded and
        // not begun
        byte[] slow = randomBytes(512 * 1024, 7);
        origin.serve("/flood/accepted-slow.bin", slow).throttled(8 * 1024);
        byte[] small = randomBytes(32 * 1024, 9);
        List<String> ids = new ArrayList<>(List.of("accepted-slow"));
        kafka.send("requests-accepted", "accepted-slow",
                request("accepted-slow", "/flood/accepted-slow.bin", "raw/accepted/slow.bin", 1));
        for (int i = 0; i < 30; i++) {
            origin.serve("/flood/accepted-" + i + ".bin", small);
            ids.add("accepted-" + i);
            kafka.send("requests-accepted", "accepted-" + i,
                    request("accepted-" + i, "/flood/accepted-" + i + ".bin", "raw/accepted/" + i + ".bin", 0));
        }
        Path data = dataDir("accepted");
        Map<String, String> config = writingBehind(data, "accepted");
        try (ServiceProcess first = ServiceProcess.start(config, WORK.resolve("accepted-1.log"))) {
            awaitCommitted("group-accepted", ids.size());
            first.kill();
        }
        assertEquals(List.of(), kafka.outcomes(o -> o.key().startsWith("accepted-")), "nothing ended before the kill");
        origin.serve("/flood/accepted-slow.bin", slow);
        try (ServiceProcess second = ServiceProcess.start(config, WORK.resolve("accepted-2.log"))) {
            for (String id : ids) {
                assertEquals("COMPLETED", kafka.awaitOutcome(id).json().path("status").asText(), id);
            }
            second.kill();
        }
        assertArrayEquals(small, Files.readAllBytes(data.resolve("raw/accepted/29.bin")));
    }

    @Test
    void sigkillRightAfterOutcomesArePublishedNeverPublishesThemAgain() throws Exception {
        byte[] slow = randomBytes(512 * 1024, 8);
        origin.serve("/flood/published-slow.bin", slow).throttled(8 * 1024);
        byte[] small = randomBytes(32 * 1024, 9);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            String id = i == 10 ? "published-slow" : "published-" + i;
            String path = "/flood/" + id + ".bin";
            if (i != 10) {
                origin.serve(path, small);
            }
            ids.add(id);
            // ten first, then the slow one, then the rest
            kafka.send("requests-published", id,
                    request(id, path, "raw/published/" + id + ".bin", i < 10 ? 2 : i == 10 ? 1 : 0));
        }
        Path data = dataDir("published");
        Map<String, String> config = writingBehind(data, "published");
        // a relay that would publish again, within this test, any outcome the restart finds unmarked
        config.put("downloader.outbox.interval-ms", "500");
        config.put("downloader.outbox.grace-ms", "3000");
        try (ServiceProcess first = ServiceProcess.start(config, WORK.resolve("published-1.log"))) {
            // ten outcomes out, the slow one holding the only slot: then killed, once their marks are batched and
            // flushed (at most 200 ms later; a crash within that window leaves them to the relay, by design)
            for (String id : ids.subList(0, 10)) {
                kafka.awaitOutcome(id);
            }
            awaitCommitted("group-published", ids.size());
            Thread.sleep(1500);
            first.kill();
        }
        origin.serve("/flood/published-slow.bin", slow);
        try (ServiceProcess second = ServiceProcess.start(config, WORK.resolve("published-2.log"))) {
            for (String id : ids) {
                kafka.awaitOutcome(id);
            }
            // long enough for the relay to publish again whatever the restart found recorded but unmarked
            Thread.sleep(6000);
            second.kill();
        }
        for (String id : ids) {
            List<TestKafka.Outcome> outcomes = kafka.outcomes(o -> id.equals(o.key()));
            assertEquals(1, outcomes.size(), "exactly one outcome for " + id + ": " + outcomes);
            assertEquals("COMPLETED", outcomes.get(0).json().path("status").asText(), id);
        }
    }

    /**
     * A request the claim takes by its priority: a flood recorded in one poll shares its timestamps, and then the id
     * decides.
     */
    private static byte[] request(String id, String path, String target, int priority) {
        return ("{\"id\": \"" + id + "\", \"url\": \"" + origin.url(path) + "\", \"target\": \"" + target
                + "\", \"priority\": " + priority + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** One download at a time, and H2 writing only when the service flushes (a ten-minute write delay). */
    private static Map<String, String> writingBehind(Path data, String scenario) {
        Map<String, String> config = config(data, scenario);
        config.put("downloader.max-active-downloads", "1");
        config.put("quarkus.datasource.jdbc.url",
                "jdbc:h2:file:" + data + "/downloads;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=600000;QUERY_CACHE_SIZE=64");
        return config;
    }

    /** Waits until the group has committed {@code records} offsets on its requests topic. */
    private static void awaitCommitted(String group, long records) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50)).until(() -> admin
                    .listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
                    .values().stream().filter(Objects::nonNull).mapToLong(OffsetAndMetadata::offset).sum() >= records);
        }
    }

    private static void assertCompletedWhole(JsonNode result, Path file) throws Exception {
        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)),
                result.path("sha256").asText());
        assertArrayEquals(content, Files.readAllBytes(file));
    }

    private static void awaitSent(TestOrigin.Served served, long bytes) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
                .until(() -> served.bytesSent.get() >= bytes);
    }

    private static Path dataDir(String name) {
        return WORK.resolve(name + "-" + System.nanoTime());
    }


    /**
     * The Quartz jobs that only read or beat fire every 5 ms: a stop then nearly always finds one running. Before the
     * scheduler was stopped first, about one such stop in two logged a job's stack trace (a race with Camel's own).
     */
    private static Map<String, String> quartzFiringAlways(Map<String, String> config) {
        for (String key : List.of("downloader.heartbeat-interval-ms", "downloader.recovery-interval-ms",
                "downloader.outbox.interval-ms", "downloader.retry.parked-check-interval-ms")) {
            config.put(key, "5");
        }
        return config;
    }

    private static Map<String, String> config(Path dataDir, String scenario) {
        return ServiceProcess.config(broker.bootstrapServers(), dataDir, scenario);
    }
}
