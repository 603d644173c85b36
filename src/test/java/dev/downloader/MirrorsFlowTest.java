package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A request's mirrors serve ranges beside the origin once they show the same file; one that differs, fails or is
 * refused by the origin policy is left out or dropped, and every byte is still checked against the one checksum.
 * Each mirror is an origin of its own on another port: another host to the service.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class MirrorsFlowTest extends FlowSupport {

    @Test
    void aMirrorWithTheSameFileServesRangesBesideTheOrigin() throws Exception {
        byte[] content = randomBytes(1_048_576, 90);
        try (TestOrigin mirror = new TestOrigin()) {
            TestOrigin.Served atOrigin = origin.serve("/mirrored/file.bin", content).throttled(512 * 1024);
            TestOrigin.Served atMirror = mirror.serve("/copy/file.bin", content).throttled(512 * 1024);

            JsonNode result = download("mirrored-1", "/mirrored/file.bin", content, mirror.url("/copy/file.bin"));

            assertTrue(atOrigin.gets.size() > 0 && atMirror.gets.size() > 0,
                    "both served ranges: origin " + atOrigin.gets + ", mirror " + atMirror.gets);
            JsonNode sources = result.path("sources");
            assertEquals(2, sources.size(), result.toString());
            assertEquals(content.length, sources.get(0).path("bytes").asLong() + sources.get(1).path("bytes").asLong(),
                    result.toString());
            assertTrue(sources.get(1).path("bytes").asLong() > 0, result.toString());
            assertTrue(sources.get(1).path("dropped").isMissingNode(), result.toString());
        }
    }

    @Test
    void aMirrorWithOtherContentIsLeftOutAndAskedForNoByte() throws Exception {
        byte[] content = randomBytes(300_000, 91);
        try (TestOrigin mirror = new TestOrigin()) {
            origin.serve("/other/file.bin", content);
            // the same size and Last-Modified, other bytes: its ETag gives it away
            TestOrigin.Served atMirror = mirror.serve("/other/file.bin", randomBytes(300_000, 92));

            JsonNode result = download("other-1", "/other/file.bin", content, mirror.url("/other/file.bin"));

            assertEquals(0, atMirror.gets.size(), "no range asked of a mirror with another file: " + atMirror.gets);
            JsonNode left = result.path("sources").get(1);
            assertTrue(left.path("dropped").asText().contains("ETag"), result.toString());
            assertEquals(0, left.path("bytes").asLong());
        }
    }

    @Test
    void aMirrorThatFailsIsDroppedAndItsRangesGoToTheOthers() throws Exception {
        byte[] content = randomBytes(640_000, 93);
        try (TestOrigin mirror = new TestOrigin()) {
            origin.serve("/failing-mirror/file.bin", content);
            TestOrigin.Served atMirror = mirror.serve("/failing-mirror/file.bin", content).failingFirst(1000, 503);

            JsonNode result = download("failing-mirror-1", "/failing-mirror/file.bin", content,
                    mirror.url("/failing-mirror/file.bin"));

            assertTrue(atMirror.gets.size() >= 1 && atMirror.gets.size() <= 4,
                    "each lane tried the mirror at most once: " + atMirror.gets);
            JsonNode dropped = result.path("sources").get(1);
            assertTrue(dropped.path("dropped").asText().contains("503"), result.toString());
            assertEquals(content.length, result.path("sources").get(0).path("bytes").asLong(), result.toString());
        }
    }

    @Test
    void aMirrorWhoseConnectionsBreakIsDroppedAfterOneTryPerLane() throws Exception {
        byte[] content = randomBytes(640_000, 95);
        try (TestOrigin mirror = new TestOrigin()) {
            origin.serve("/breaking-mirror/file.bin", content);
            // every answer stops half-way and the connection closes: a network failure, not a status
            TestOrigin.Served atMirror = mirror.serve("/breaking-mirror/file.bin", content).droppingFirst(1000);

            JsonNode result = download("breaking-mirror-1", "/breaking-mirror/file.bin", content,
                    mirror.url("/breaking-mirror/file.bin"));

            assertTrue(atMirror.gets.size() >= 1 && atMirror.gets.size() <= 4,
                    "each lane tried the mirror at most once: " + atMirror.gets);
            assertTrue(!result.path("sources").get(1).path("dropped").asText().isEmpty(), result.toString());
        }
    }

    @Test
    void aMirrorOnAnAddressTheOriginPolicyRefusesIsNeverCalled() throws Exception {
        byte[] content = randomBytes(200_000, 94);
        origin.serve("/guarded/file.bin", content);

        // 127.0.0.2 is loopback but not the one address the test policy lets through
        JsonNode result = download("guarded-1", "/guarded/file.bin", content,
                "http://127.0.0.2:" + origin.port() + "/guarded/file.bin");

        JsonNode refused = result.path("sources").get(1);
        assertTrue(refused.path("dropped").asText().contains("127.0.0.2"), result.toString());
        assertEquals(0, refused.path("bytes").asLong(), result.toString());
    }

    private JsonNode download(String id, String path, byte[] content, String mirror) throws Exception {
        TestKafka.get().send(id, """
                {"id": "%s", "url": "%s", "mirrors": ["%s"], "connections": 4,
                 "checksum": {"algorithm": "sha256", "value": "%s"}}
                """.formatted(id, origin.url(path), mirror, sha256(content)));
        JsonNode result = TestKafka.get().awaitOutcome(id).json();
        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        return result;
    }
}
