package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestServicesResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** With the host budget raised past 16, one download may use that many connections (aria2 stops at 16). */
@QuarkusTest
@TestProfile(WideFlowTest.Wide.class)
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class WideFlowTest extends FlowSupport {

    /** A host budget of 32 connections. */
    public static class Wide implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("downloader.max-connections-per-host", "32");
        }
    }

    @Inject
    MeterRegistry registry;

    @Test
    void oneDownloadUsesThirtyTwoConnections() throws Exception {
        byte[] content = randomBytes(2_097_152, 95);
        origin.serve("/wide/file.bin", content).throttled(128 * 1024);
        origin.mostConcurrentGets.set(0);
        double syncsBefore = registry.counter("downloader.part.syncs").count();
        TestKafka.get().send("wide-1", "{\"id\": \"wide-1\", \"url\": \"" + origin.url("/wide/file.bin")
                + "\", \"connections\": 32}");

        JsonNode result = TestKafka.get().awaitOutcome("wide-1").json();

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        assertEquals(32, result.path("connections").asInt(), result.toString());
        int most = origin.mostConcurrentGets.get();
        assertTrue(most > 16 && most <= 32, "GETs at once: " + most);
        // downloader.sync-every is 256 KiB in the tests: the part file was synced while its 2 MiB arrived (about 8
        // times; a sync asked for while the last one still ran is not queued twice)
        double syncs = registry.counter("downloader.part.syncs").count() - syncsBefore;
        assertTrue(syncs >= 2, "background syncs: " + syncs);
    }
}
