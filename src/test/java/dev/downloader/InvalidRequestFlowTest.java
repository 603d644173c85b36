package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestServicesResource;
import dev.downloader.testsupport.TestKafka;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Bad requests each end as one dead letter with a clear message; the consumer goes on to the next request. */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class InvalidRequestFlowTest extends FlowSupport {

    @Test
    void notJsonIsInvalidRequestAndTheGoodRequestAfterItCompletes() {
        String garbage = "this is not json " + System.nanoTime();
        TestKafka.get().send(null, garbage);
        origin.serve("/good.bin", randomBytes(100_000, 20));
        TestKafka.get().send("after-garbage", """
                {"id": "after-garbage", "url": "%s"}""".formatted(origin.url("/good.bin")));

        TestKafka.Outcome rejected = TestKafka.get().awaitOutcome(o -> garbage.equals(o.json().path("raw").asText()));
        assertEquals("downloads.dlq", rejected.topic());
        assertEquals(null, rejected.key(), "an unparsable request has no id to key by");
        JsonNode error = rejected.json().path("error");
        assertEquals("INVALID_REQUEST", error.path("code").asText());
        assertTrue(error.path("message").asText().startsWith("request is not valid JSON"), error.toString());
        assertFalse(rejected.json().has("request"));
        assertEquals("downloads.requests", rejected.json().path("source").path("topic").asText());

        assertEquals("COMPLETED", TestKafka.get().awaitOutcome("after-garbage").json().path("status").asText());
    }

    @Test
    void poisonRecordsEachEndAsOneDeadLetterAndThePartitionMovesOn() {
        byte[] controlBytes = new byte[200_000];
        java.util.Arrays.fill(controlBytes, (byte) 0x01);
        byte[] binary = randomBytes(900_000, 22);
        String deep = "{\"id\": \"poison-deep\", \"x\": " + "[".repeat(998) + "]".repeat(998) + "}";
        String huge = "{\"id\": \"poison-huge\", \"url\": \"" + origin.url("/poison.bin") + "\", \"headers\": {\"X-Pad\": \""
                + "p".repeat(8000) + "\"}, \"pad\": \"" + "x".repeat(2_000_000) + "\"}";
        TestKafka.get().send("poison-control", controlBytes);
        TestKafka.get().send("poison-binary", binary);
        TestKafka.get().send("poison-deep", deep);
        TestKafka.get().send("poison-huge", huge);
        origin.serve("/after-poison.bin", randomBytes(10_000, 23));
        TestKafka.get().send("after-poison", """
                {"id": "after-poison", "url": "%s"}""".formatted(origin.url("/after-poison.bin")));

        assertEquals("COMPLETED", TestKafka.get().awaitOutcome("after-poison").json().path("status").asText());
        for (String key : new String[] {"poison-deep", "poison-huge"}) {
            TestKafka.get().awaitOutcome(key);
            var letters = TestKafka.get().outcomes(o -> key.equals(o.key()));
            assertEquals(1, letters.size(), key + ": " + letters);
            JsonNode letter = letters.get(0).json();
            assertEquals("INVALID_REQUEST", letter.path("error").path("code").asText(), key + ": " + letter);
            assertTrue(letter.toString().length() < 64 * 1024, key + " dead letter is " + letter.toString().length());
        }
        // the two payloads that are not JSON: unkeyed dead letters, their echoes cut short
        JsonNode control = TestKafka.get().awaitOutcome(o -> o.key() == null
                && o.json().path("raw").asText().startsWith("\u0001\u0001")).json();
        assertTrue(control.path("truncated").asBoolean(), control.path("error").toString());
        assertEquals("INVALID_REQUEST", control.path("error").path("code").asText());
        JsonNode binaryLetter = TestKafka.get().awaitOutcome(o -> o.key() == null
                && "base64".equals(o.json().path("rawEncoding").asText()) && o.json().path("truncated").asBoolean()).json();
        assertEquals("INVALID_REQUEST", binaryLetter.path("error").path("code").asText());
        assertTrue(binaryLetter.toString().length() < 64 * 1024);
        assertTrue(TestKafka.get().awaitOutcome("poison-huge").json().path("truncated").asBoolean());
    }

    @Test
    void eachBadRequestGetsExactlyOneDeadLetterWithItsCode() {
        String url = origin.url("/any.bin");
        Map<String, String> requests = Map.ofEntries(
                Map.entry("bad-empty-object", "{\"id\": \"bad-empty-object\"}"),
                Map.entry("bad-url", "{\"id\": \"bad-url\", \"url\": \"not a url\"}"),
                Map.entry("bad-scheme", "{\"id\": \"bad-scheme\", \"url\": \"ftp://example.com/f\"}"),
                Map.entry("bad-target", "{\"id\": \"bad-target\", \"url\": \"" + url + "\", \"target\": \"../../etc/passwd\"}"),
                Map.entry("bad-algorithm", "{\"id\": \"bad-algorithm\", \"url\": \"" + url
                        + "\", \"checksum\": {\"algorithm\": \"CRC32\", \"value\": \"abcd\"}}"),
                Map.entry("bad-chunk", "{\"id\": \"bad-chunk\", \"url\": \"" + url + "\", \"chunkSize\": 10}"),
                Map.entry("bad-connections", "{\"id\": \"bad-connections\", \"url\": \"" + url + "\", \"connections\": 1000}"));
        Map<String, String> expectedCodes = Map.of("bad-empty-object", "INVALID_REQUEST", "bad-url", "INVALID_REQUEST",
                "bad-scheme", "UNSUPPORTED_SCHEME", "bad-target", "TARGET_NOT_ALLOWED", "bad-algorithm",
                "INVALID_REQUEST", "bad-chunk", "INVALID_REQUEST", "bad-connections", "INVALID_REQUEST");
        requests.forEach((id, json) -> TestKafka.get().send(id, json));
        TestKafka.get().send("empty-payload", new byte[0]);
        origin.serve("/after.bin", randomBytes(10_000, 21));
        TestKafka.get().send("after-bad", """
                {"id": "after-bad", "url": "%s"}""".formatted(origin.url("/after.bin")));

        // the good request was sent last on the same partition: once it completes, every bad one was answered
        assertEquals("COMPLETED", TestKafka.get().awaitOutcome("after-bad").json().path("status").asText());
        expectedCodes.forEach((id, code) -> {
            var letters = TestKafka.get().outcomes(o -> id.equals(o.key()));
            assertEquals(1, letters.size(), id + ": " + letters);
            JsonNode letter = letters.get(0).json();
            assertEquals("downloads.dlq", letters.get(0).topic());
            assertEquals(code, letter.path("error").path("code").asText(), id + ": " + letter);
            assertFalse(letter.path("error").path("message").asText().isBlank());
            assertEquals(id, letter.path("request").path("id").asText());
        });
        JsonNode empty = TestKafka.get().awaitOutcome(o -> o.json().path("error").path("message").asText()
                .startsWith("request is empty") && "".equals(o.json().path("raw").asText())).json();
        assertEquals("INVALID_REQUEST", empty.path("error").path("code").asText());
    }
}
