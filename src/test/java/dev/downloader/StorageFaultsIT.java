package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.KafkaBroker;
import dev.downloader.testsupport.ServiceProcess;
import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;

/**
 * Storage faults for real: the packaged service's data directory is a 100 MiB tmpfs (its H2 database lives elsewhere),
 * with a read-only tmpfs inside it. Needs permission to mount (root, as on the CI machines); skipped, and says so,
 * elsewhere.
 */
class StorageFaultsIT {

    private static final int MIB = 1024 * 1024;
    private static final Path WORK = Path.of("target/storage-faults-it").toAbsolutePath();

    static KafkaBroker broker;
    static TestKafka kafka;
    static TestOrigin origin;
    static Path data;
    static ServiceProcess service;
    static final List<Path> mounts = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        data = WORK.resolve("data-" + System.nanoTime());
        Path readOnly = data.resolve("raw/readonly");
        Files.createDirectories(data);
        assumeTrue(mount(data, "size=100m"), "mounting a tmpfs needs root; storage faults not tested here");
        Files.createDirectories(readOnly);
        assumeTrue(mount(readOnly, "size=1m,ro"), "mounting a tmpfs needs root; storage faults not tested here");
        broker = KafkaBroker.start(0, WORK.resolve("kafka-" + System.nanoTime()));
        broker.createTopics(List.of("downloads.results", "downloads.dlq", "downloads.progress"));
        kafka = TestKafka.of(broker.bootstrapServers());
        origin = new TestOrigin();
        Map<String, String> config = ServiceProcess.config(broker.bootstrapServers(), data, "storage");
        Path database = Files.createDirectories(WORK.resolve("db-" + System.nanoTime()));
        config.put("quarkus.datasource.jdbc.url", "jdbc:h2:file:" + database + "/downloads;DB_CLOSE_ON_EXIT=FALSE");
        service = ServiceProcess.start(config, WORK.resolve("service.log"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null) {
            service.close();
            origin.close();
            kafka.close();
            broker.close();
        }
        for (int i = mounts.size() - 1; i >= 0; i--) {
            run("umount", mounts.get(i).toString());
        }
    }

    @Test
    void twoDownloadsTheDiskCannotHoldBothOfAreOneResultAndOneStorageFailureWithNothingPartial() throws Exception {
        // two 64 MiB files at once on a 100 MiB volume: the second is refused at its plan (the first still has to
        // write most of its bytes), or, if it got past, the disk fills under it
        byte[] first = FlowSupport.randomBytes(64 * MIB, 1);
        // the other scenarios leave at most 16 MiB on the volume: room for one of these, never for both
        byte[] second = FlowSupport.randomBytes(64 * MIB, 2);
        origin.serve("/full/first.bin", first).throttled(8 * MIB);
        origin.serve("/full/second.bin", second).throttled(8 * MIB);
        kafka.send("requests-storage", "full-1",
                FlowSupport.request("full-1", origin.url("/full/first.bin"), "raw/full/first.bin", 4, 4 << 20));
        kafka.send("requests-storage", "full-2",
                FlowSupport.request("full-2", origin.url("/full/second.bin"), "raw/full/second.bin", 4, 4 << 20));

        JsonNode one = kafka.awaitOutcome("full-1").json();
        JsonNode two = kafka.awaitOutcome("full-2").json();

        int storageFailures = 0;
        for (JsonNode outcome : List.of(one, two)) {
            String name = outcome.path("id").asText().equals("full-1") ? "first.bin" : "second.bin";
            Path file = data.resolve("raw/full/" + name);
            if (outcome.path("status").asText().equals("COMPLETED")) {
                assertArrayEquals(name.equals("first.bin") ? first : second, Files.readAllBytes(file));
            } else {
                assertEquals("STORAGE", outcome.path("error").path("code").asText(), outcome.toString());
                assertTrue(outcome.path("error").path("message").asText().matches(
                        ".*(No space left on device|not enough disk space).*"), outcome.toString());
                assertFalse(Files.exists(file), "nothing partial under raw/");
                storageFailures++;
            }
        }
        assertEquals(1, storageFailures, "the disk holds one of them: " + one + " " + two);
        assertEquals(List.of(), listTmp(), "no part file keeps the disk full");

        byte[] small = FlowSupport.randomBytes(64 * 1024, 3);
        origin.serve("/full/small.bin", small);
        kafka.send("requests-storage", "full-3",
                FlowSupport.request("full-3", origin.url("/full/small.bin"), "raw/full/small.bin", 4, 4 << 20));
        JsonNode after = kafka.awaitOutcome("full-3").json();
        assertEquals("COMPLETED", after.path("status").asText(), after.toString());
        assertArrayEquals(small, Files.readAllBytes(data.resolve("raw/full/small.bin")));
        assertTrue(service.isAlive());
        assertEquals(List.of(), service.errorLines(), "storage faults are expected failures, not errors");
    }

    @Test
    void aDiskThatFillsUpMidDownloadIsStorageNotRetriedAndTheSameFileCompletesOnceSpaceIsBack() throws Exception {
        byte[] content = FlowSupport.randomBytes(16 * MIB, 5);
        TestOrigin.Served served = origin.serve("/filling/file.bin", content).throttled(2 * MIB);
        kafka.send("requests-storage", "filling-1",
                FlowSupport.request("filling-1", origin.url("/filling/file.bin"), "raw/filling/1.bin", 4, 4 << 20));
        await().atMost(Duration.ofSeconds(60)).until(() -> served.bytesSent.get() >= content.length / 4);
        // something else takes every free byte of the volume
        Path filler = data.resolve("filler.bin");
        try (OutputStream out = Files.newOutputStream(filler)) {
            byte[] block = new byte[MIB];
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            // the volume is full
        }

        JsonNode failed = kafka.awaitOutcome("filling-1").json();

        assertEquals("STORAGE", failed.path("error").path("code").asText(), failed.toString());
        assertTrue(failed.path("error").path("message").asText().contains("No space left on device"), failed.toString());
        assertFalse(Files.exists(data.resolve("raw/filling/1.bin")), "nothing partial under raw/");
        assertEquals(List.of(), listTmp(), "no part file keeps the disk full");
        assertFalse(service.log().contains("caught: dev.downloader.DownloadFailure: cannot write"),
                "a full disk is not retried as if it were the network");

        Files.delete(filler);
        kafka.send("requests-storage", "filling-2",
                FlowSupport.request("filling-2", origin.url("/filling/file.bin"), "raw/filling/2.bin", 4, 4 << 20));
        JsonNode completed = kafka.awaitOutcome("filling-2").json();
        assertEquals("COMPLETED", completed.path("status").asText(), completed.toString());
        assertArrayEquals(content, Files.readAllBytes(data.resolve("raw/filling/2.bin")));
    }

    @Test
    void anUnwritableTargetDirectoryIsStorageAndThePartFileIsRemoved() throws Exception {
        byte[] content = FlowSupport.randomBytes(256 * 1024, 4);
        origin.serve("/ro/file.bin", content);
        kafka.send("requests-storage", "ro-1",
                FlowSupport.request("ro-1", origin.url("/ro/file.bin"), "raw/readonly/file.bin", 4, 4 << 20));

        JsonNode outcome = kafka.awaitOutcome("ro-1").json();

        assertEquals("FAILED", outcome.path("status").asText(), outcome.toString());
        assertEquals("STORAGE", outcome.path("error").path("code").asText(), outcome.toString());
        assertFalse(Files.exists(data.resolve("raw/readonly/file.bin")));
        assertEquals(List.of(), listTmp());
    }

    private static List<Path> listTmp() throws Exception {
        Path tmp = data.resolve("tmp");
        if (!Files.isDirectory(tmp)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(tmp)) {
            return files.toList();
        }
    }


    private static boolean mount(Path at, String options) throws Exception {
        boolean mounted = run("mount", "-t", "tmpfs", "-o", options, "tmpfs", at.toString());
        if (mounted) {
            mounts.add(at);
        }
        return mounted;
    }

    private static boolean run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
    }
}
