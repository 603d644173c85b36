package dev.downloader.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * What the @QuarkusTest flows run against: a real Kafka broker, and a fresh data directory (files and the H2
 * database) so that no run sees the requests of the one before.
 */
public class TestServicesResource implements QuarkusTestResourceLifecycleManager {

    private KafkaBroker broker;

    @Override
    public Map<String, String> start() {
        try {
            Path target = Path.of("target").toAbsolutePath();
            Files.createDirectories(target);
            broker = KafkaBroker.start(0, Files.createTempDirectory(target, "test-kafka-"));
            Path dataDir = Files.createTempDirectory(target, "test-data-");
            return Map.of("kafka.bootstrap.servers", broker.bootstrapServers(),
                    "downloader.data-dir", dataDir.toString());
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test services", e);
        }
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
        }
    }
}
