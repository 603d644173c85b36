package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The status and cancel API, over real HTTP: a download is watched, cancelled running or parked, and answered once. */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class CancelFlowTest extends FlowSupport {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/downloads")
    URI downloads;

    @Test
    void aRunningDownloadIsSeenMovingThenCancelledItsLanesStopAndItEndsAsOneCancelledDeadLetter() throws Exception {
        byte[] content = randomBytes(3_000_000, 81);
        // two connections at 100 KB/s each: fifteen seconds, unless cancelled
        TestOrigin.Served served = origin.serve("/cancel/running.bin", content).throttled(100_000);
        TestKafka.get().send("cancel-1", "{\"id\": \"cancel-1\", \"url\": \"" + origin.url("/cancel/running.bin")
                + "\", \"connections\": 2, \"target\": \"cancel/running.bin\"}");
        await().atMost(Duration.ofSeconds(30)).until(() -> served.bytesSent.get() > 200_000);

        JsonNode running = json(send("GET", "/cancel-1", 200));
        assertEquals("RUNNING", running.path("state").asText(), running.toString());
        assertTrue(running.path("progress").path("bytesDone").asLong() > 0, running.toString());
        assertEquals(content.length, running.path("progress").path("bytesTotal").asLong(), running.toString());

        JsonNode cancelled = json(send("DELETE", "/cancel-1", 200));
        assertEquals("CANCELLED", cancelled.path("state").asText(), cancelled.toString());
        assertEquals("RUNNING", cancelled.path("was").asText(), cancelled.toString());

        JsonNode letter = TestKafka.get().awaitOutcome("cancel-1").json();
        assertEquals("FAILED", letter.path("status").asText(), letter.toString());
        assertEquals("CANCELLED", letter.path("error").path("code").asText(), letter.toString());
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(dataDir().resolve("tmp/cancel-1.part")));
        long sentWhenStopped = served.bytesSent.get();
        Thread.sleep(1500);
        assertTrue(served.bytesSent.get() - sentWhenStopped < 64 * 1024, "the lanes stopped: "
                + (served.bytesSent.get() - sentWhenStopped) + " bytes sent after");
        assertTrue(served.bytesSent.get() < content.length, "not fetched to the end");
        assertFalse(Files.exists(dataDir().resolve("cancel/running.bin")), "nothing placed");
        assertEquals(1, TestKafka.get().outcomes(o -> "cancel-1".equals(o.key())).size(), "exactly one outcome");
        List<TestKafka.Progress> events = TestKafka.get().progress("cancel-1");
        assertEquals("CANCELLED", events.get(events.size() - 1).json().path("state").asText(), events.toString());

        JsonNode after = json(send("GET", "/cancel-1", 200));
        assertEquals("CANCELLED", after.path("state").asText(), after.toString());
        assertEquals("CANCELLED", after.path("error").path("code").asText(), after.toString());
        assertEquals(409, send("DELETE", "/cancel-1", 409).statusCode(), "an ended download is not cancelled again");
    }

    @Test
    void aParkedDownloadIsCancelledWithItsPartFile() throws Exception {
        // the test budget is 1 s (downloader.retry.park-beyond-ms): a Retry-After of 60 s parks for a minute
        byte[] content = randomBytes(640_000, 82);
        origin.serve("/cancel/parked.bin", content).failingFirst(1, 503, 60);
        TestKafka.get().send("cancel-2", "{\"id\": \"cancel-2\", \"url\": \"" + origin.url("/cancel/parked.bin")
                + "\", \"connections\": 2}");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> json(send("GET", "/cancel-2", 200)).path("state").asText().equals("PARKED"));

        JsonNode cancelled = json(send("DELETE", "/cancel-2", 200));
        assertEquals("PARKED", cancelled.path("was").asText(), cancelled.toString());
        JsonNode letter = TestKafka.get().awaitOutcome("cancel-2").json();
        assertEquals("CANCELLED", letter.path("error").path("code").asText(), letter.toString());
        assertFalse(Files.exists(dataDir().resolve("tmp/cancel-2.part")));

        JsonNode page = json(send("GET", "?state=cancelled&size=500", 200));
        assertTrue(page.path("items").findValuesAsText("id").contains("cancel-2"), page.toString());
        assertTrue(page.path("items").findValuesAsText("state").stream().allMatch("CANCELLED"::equals),
                page.toString());
    }

    @Test
    void anUnknownIdIsA404AndABadQueryA400BothInJson() throws Exception {
        JsonNode unknown = json(send("GET", "/no-such-download", 404));
        assertEquals("no-such-download", unknown.path("id").asText(), unknown.toString());
        assertTrue(unknown.has("error"), unknown.toString());
        assertEquals("no-such-download", json(send("DELETE", "/no-such-download", 404)).path("id").asText());
        assertTrue(json(send("GET", "?state=bogus", 400)).path("error").asText().contains("QUEUED"));
        assertTrue(json(send("GET", "?size=100000", 400)).has("error"));
    }

    private HttpResponse<String> send(String method, String path, int expected) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(downloads + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expected, response.statusCode(), method + " " + path + ": " + response.body());
        return response;
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                response.headers().toString());
        return JSON.readTree(response.body());
    }
}
