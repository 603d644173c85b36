package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;


import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** Certificate verification goes off only by an explicit key, and the service says so at start. */
@QuarkusTest
@TestProfile(TrustAllFlowTest.TrustAll.class)
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class TrustAllFlowTest extends FlowSupport {

    /** Origins verified with a TLS configuration that trusts everything. */
    public static class TrustAll implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("downloader.origin.tls-configuration-name", "insecure", "quarkus.tls.insecure.trust-all", "true");
        }
    }

    @Test
    void trustAllAcceptsAnyCertificateAndWarnsAtStart() throws Exception {
        try (TestOrigin untrusted = new TestOrigin(0, serverContext("untrusted"))) {
            byte[] content = randomBytes(80_000, 80);
            untrusted.serve("/insecure/a.bin", content);
            TestKafka.get().send("insecure-1", "{\"id\": \"insecure-1\", \"url\": \"" + untrusted.url("/insecure/a.bin") + "\"}");

            JsonNode result = TestKafka.get().awaitOutcome("insecure-1").json();

            assertEquals("COMPLETED", result.path("status").asText(), result.toString());
            assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        }
        assertTrue(Files.readString(Path.of("target/quarkus.log")).contains(
                "TLS certificates of origins are NOT verified (quarkus.tls.insecure.trust-all=true)"));
    }
}
