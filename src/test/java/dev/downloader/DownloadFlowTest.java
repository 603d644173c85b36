package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.downloader.testsupport.TestServicesResource;
import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** A request on Kafka becomes a verified file and a result on Kafka; what cannot be verified never lands. */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class DownloadFlowTest extends FlowSupport {

    @Test
    void multiChunkFileArrivesByteIdenticalWithACompleteResult() throws Exception {
        byte[] content = randomBytes(1_000_000, 1);
        TestOrigin.Served served = origin.serve("/data/multi.bin", content);
        TestKafka.get().send("multi-1", """
                {"id": "multi-1", "url": "%s", "connections": 4, "chunkSize": 65536,
                 "checksum": {"algorithm": "SHA-256", "value": "%s"}}
                """.formatted(origin.url("/data/multi.bin"), sha256(content)));

        JsonNode result = TestKafka.get().awaitOutcome("multi-1").json();

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertEquals("multi-1", result.path("id").asText());
        assertEquals(origin.url("/data/multi.bin"), result.path("url").asText());
        String path = result.path("path").asText();
        assertTrue(path.matches("raw/\\d{4}-\\d{2}/multi\\.bin"), path);
        assertEquals(content.length, result.path("size").asLong());
        assertEquals(sha256(content), result.path("sha256").asText());
        assertEquals(served.etag(), result.path("etag").asText());
        assertEquals(16, result.path("chunks").asInt());
        assertEquals(4, result.path("connections").asInt());
        assertEquals(content.length, result.path("bytesTransferred").asLong());
        assertEquals(0, result.path("retries").asInt());
        assertFalse(result.path("resumed").asBoolean());
        assertTrue(result.path("durationMs").asLong() >= 0);
        assertTrue(!Instant.parse(result.path("completedAt").asText())
                .isBefore(Instant.parse(result.path("startedAt").asText())));

        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(path)));
        assertEquals(16, served.partialResponses.get(), "every chunk was fetched as its own range");
        Path meta = dataDir().resolve("meta/multi-1.json");
        assertEquals(result, new ObjectMapper().readTree(meta.toFile()));
        assertFalse(Files.exists(dataDir().resolve("tmp/multi-1.part")));
    }

    @Test
    void wrongChecksumIsADeadLetterAndNothingLandsUnderRaw() throws Exception {
        byte[] content = randomBytes(300_000, 2);
        origin.serve("/data/tampered.bin", content);
        String wrong = sha256("something else".getBytes());
        TestKafka.get().send("tampered-1", """
                {"id": "tampered-1", "url": "%s", "target": "raw/checked/tampered.bin",
                 "checksum": {"algorithm": "SHA-256", "value": "%s"}}
                """.formatted(origin.url("/data/tampered.bin"), wrong));

        TestKafka.Outcome outcome = TestKafka.get().awaitOutcome("tampered-1");

        assertEquals("downloads.dlq", outcome.topic());
        JsonNode letter = outcome.json();
        assertEquals("FAILED", letter.path("status").asText());
        assertEquals("CHECKSUM_MISMATCH", letter.path("error").path("code").asText(), letter.toString());
        assertTrue(letter.path("error").path("message").asText().contains(wrong));
        assertEquals("tampered-1", letter.path("request").path("id").asText());
        assertEquals("downloads.requests", letter.path("source").path("topic").asText());
        assertFalse(Files.exists(dataDir().resolve("raw/checked/tampered.bin")));
        assertFalse(Files.exists(dataDir().resolve("tmp/tampered-1.part")));
        assertFalse(Files.exists(dataDir().resolve("meta/tampered-1.json")));
    }

    @Test
    void missingFileIsHttp404() {
        origin.serve("/data/gone.bin", new byte[10]).answering(404);
        TestKafka.get().send("gone-1", """
                {"id": "gone-1", "url": "%s"}
                """.formatted(origin.url("/data/gone.bin")));

        JsonNode letter = TestKafka.get().awaitOutcome("gone-1").json();

        assertEquals("HTTP_404", letter.path("error").path("code").asText(), letter.toString());
        assertEquals(404, letter.path("error").path("httpStatus").asInt());
        assertFalse(letter.path("error").path("retryable").asBoolean());
        assertTrue(letter.path("error").path("message").asText().contains("404"));
    }

    @Test
    void aRepeatedIdIsAnsweredFromItsRecordWithoutDownloadingAgain() throws Exception {
        byte[] content = randomBytes(50_000, 3);
        TestOrigin.Served served = origin.serve("/data/once.bin", content);
        String request = """
                {"id": "once-1", "url": "%s"}
                """.formatted(origin.url("/data/once.bin"));
        TestKafka.get().send("once-1", request);
        JsonNode first = TestKafka.get().awaitOutcome("once-1").json();
        int getsAfterFirst = served.gets.size();

        TestKafka.get().send("once-1", request);
        JsonNode second = TestKafka.get().awaitOutcome(o -> "once-1".equals(o.key())
                && o.json().path("duplicate").asBoolean()).json();

        assertEquals(first.path("sha256").asText(), second.path("sha256").asText());
        assertEquals("COMPLETED", second.path("status").asText());
        assertEquals(getsAfterFirst, served.gets.size(), "the duplicate was not fetched again");
    }
}
