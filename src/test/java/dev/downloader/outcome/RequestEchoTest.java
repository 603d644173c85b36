package dev.downloader.outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class RequestEchoTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void userInfoAndCredentialHeadersNeverComeBack() throws Exception {
        JsonNode received = mapper.readTree("""
                {"url": "http://user:hunter2@origin.example/f", "mirrors": ["https://u:pw2@m.example/f", 7],
                 "headers": {"Authorization": "Bearer tok3n", "X-Api-Key": "k3y", "X-Trace": "keep",
                             "Bad Name": "v4lue"},
                 "target": "x/HTTP://a:b@c/d"}""");

        JsonNode echo = RequestEcho.of(received);

        String text = echo.toString();
        for (String secret : new String[] {"hunter2", "pw2", "tok3n", "k3y", "v4lue", "a:b@"}) {
            assertFalse(text.contains(secret), secret + " in " + text);
        }
        assertEquals("http://[redacted]@origin.example/f", echo.path("url").asText());
        assertEquals("keep", echo.path("headers").path("X-Trace").asText());
        assertEquals(7, echo.path("mirrors").get(1).asInt());
        assertEquals("http://user:hunter2@origin.example/f", received.path("url").asText(), "the original is untouched");
    }

    @Test
    void scrubFindsUserInfoInsideText() {
        assertEquals("not json: ftp://[redacted]@h/x and https://[redacted]@h2",
                RequestEcho.scrub("not json: ftp://a:b@h/x and https://c@h2"));
        assertEquals("mailto:someone@example.com", RequestEcho.scrub("mailto:someone@example.com"));
        assertEquals("a://[redacted]@b://[redacted]@c", RequestEcho.scrub("a://x@b://y@c"));
    }

    @Test
    void scrubEndsOnHostileText() {
        String letters = "x".repeat(2_000_000);
        // a hang guard, not a speed claim: the backtracking regex this replaced ran for hours on this input
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            assertEquals(letters, RequestEcho.scrub(letters));
            assertEquals(letters + "://" + letters, RequestEcho.scrub(letters + "://" + letters));
        });
    }
}
