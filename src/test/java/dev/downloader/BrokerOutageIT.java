package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * The outbox for real: the broker stops while a download runs, the download finishes with nowhere to publish, the
 * service is killed before the broker is back; after both restart, the recorded outcome is published exactly once.
 */
class BrokerOutageIT {

    private static final Path WORK = Path.of("target/broker-outage-it").toAbsolutePath();

    static Path kafkaLog;
    static int kafkaPort;
    static KafkaBroker broker;
    static TestKafka kafka;
    static TestOrigin origin;

    @BeforeAll
    static void start() throws Exception {
        kafkaLog = WORK.resolve("kafka-" + System.nanoTime());
        broker = KafkaBroker.start(0, kafkaLog);
        kafkaPort = Integer.parseInt(broker.bootstrapServers().substring(broker.bootstrapServers().lastIndexOf(':') + 1));
        broker.createTopics(List.of("downloads.results", "downloads.dlq", "downloads.progress", "requests-outage"));
        kafka = TestKafka.of(broker.bootstrapServers());
        origin = new TestOrigin();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        origin.close();
        kafka.close();
        broker.close();
    }

    @Test
    void anOutcomeRecordedWhileTheBrokerWasDownIsPublishedOnceAfterTheServiceDiedAndCameBack() throws Exception {
        byte[] content = new byte[8 * 1024 * 1024];
        new Random(5).nextBytes(content);
        TestOrigin.Served served = origin.serve("/outage/file.bin", content).throttled(1024 * 1024);
        Path data = WORK.resolve("data-" + System.nanoTime());
        Map<String, String> config = ServiceProcess.config(broker.bootstrapServers(), data, "outage");
        // the relay's grace stays above the producer's delivery timeout, as application.properties asks
        config.put("camel.component.kafka.delivery-timeout-ms", "5000");
        config.put("camel.component.kafka.request-timeout-ms", "4000");
        config.put("camel.component.kafka.linger-ms", "0");
        config.put("downloader.outbox.grace-ms", "8000");
        config.put("downloader.outbox.interval-ms", "1000");

        long outageStarted;
        try (ServiceProcess first = ServiceProcess.start(config, WORK.resolve("outage-1.log"))) {
            kafka.send("requests-outage", "outage-1", ("{\"id\": \"outage-1\", \"url\": \""
                    + origin.url("/outage/file.bin") + "\", \"target\": \"raw/outage.bin\", \"connections\": 4,"
                    + " \"chunkSize\": 1048576}").getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(60)).until(() -> served.bytesSent.get() >= content.length / 4);
            assertEquals(200, first.httpStatus("/q/health/ready"), "ready while the broker is up");
            broker.close();
            outageStarted = System.nanoTime();
            // not ready without a broker (a load balancer stops sending it work), yet alive: nothing to restart
            await().atMost(Duration.ofSeconds(30)).until(() -> first.httpStatus("/q/health/ready") == 503);
            assertEquals(200, first.httpStatus("/q/health/live"));
            // the download finishes and its outcome is recorded, with no broker to publish it to
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(data.resolve("raw/outage.bin")));
            Thread.sleep(2000);
            first.kill();
        }
        broker = KafkaBroker.start(kafkaPort, kafkaLog);
        try (ServiceProcess second = ServiceProcess.start(config, WORK.resolve("outage-2.log"))) {
            JsonNode result = kafka.awaitOutcome("outage-1").json();
            System.out.printf("outcome published %.1f s after the broker went down%n",
                    (System.nanoTime() - outageStarted) / 1e9);
            assertEquals("COMPLETED", result.path("status").asText(), result.toString());
            // a second publication would arrive within the relay's next rounds
            Thread.sleep(5000);
            assertEquals(1, kafka.outcomes(o -> "outage-1".equals(o.key())).size(), "exactly one outcome");
            assertEquals(content.length, served.bytesSent.get(), "the finished download is not fetched again");
            // the killed node is still in the group until its session times out: a graceful stop would wait for it
            second.kill();
        }
        assertArrayEquals(content, Files.readAllBytes(data.resolve("raw/outage.bin")));
    }
}
