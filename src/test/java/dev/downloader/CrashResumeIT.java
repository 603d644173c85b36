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
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

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
 * answered once, across the crash.
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
        content = new byte[SIZE];
        new Random(42).nextBytes(content);
    }

    @AfterAll
    static void stop() {
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
        long sentAtTerm;
        int exit;
        String firstLog;
        List<String> firstErrors;
        try (ServiceProcess first = ServiceProcess.start(config(data, "term"), WORK.resolve("term-1.log"))) {
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
        try (ServiceProcess second = ServiceProcess.start(config(data, "term"), WORK.resolve("term-2.log"))) {
            result = kafka.awaitOutcome("term-1").json();
            Thread.sleep(1000);
        }
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


    private static Map<String, String> config(Path dataDir, String scenario) {
        return ServiceProcess.config(broker.bootstrapServers(), dataDir, scenario);
    }
}
