package dev.downloader.outcome;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.RuntimeCamelException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.downloader.DownloadFailure;
import dev.downloader.DownloadJob;
import dev.downloader.plan.Sources;
import dev.downloader.DownloaderConfig;
import dev.downloader.ErrorCode;
import dev.downloader.fetch.RangeNotHonoured;
import dev.downloader.fetch.RetryableStatus;
import dev.downloader.fetch.StalledRange;
import dev.downloader.state.Source;
import dev.downloader.state.StoredDownload;
import dev.downloader.watch.DownloadMetrics;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** Writes the two messages a request ends as (DESIGN §3): a result, or a dead-letter record. */
@ApplicationScoped
@Named("outcomes")
@RegisterForReflection(fields = false)
public class Outcomes {

    public static final String COMPLETED = "COMPLETED";
    public static final String FAILED = "FAILED";
    public static final String CANCELLED = "CANCELLED";
    /**
     * Echoes stay far below a producer's limit (1 MiB by default), whatever the request held: 16 Ki characters are at
     * most about 96 KiB once JSON escapes control characters.
     */
    static final int MAX_ECHO_CHARS = 16 * 1024;
    static final int MAX_ECHO_DEPTH = 32;
    private static final int MAX_KEY_CHARS = 1024;

    private final ObjectMapper mapper;
    private final DownloaderConfig.Topic topics;
    private final Clock clock;
    private final DownloadMetrics metrics;

    public Outcomes(ObjectMapper mapper, DownloaderConfig config, DownloadMetrics metrics) {
        this.mapper = mapper;
        this.metrics = metrics;
        this.topics = config.topic();
        this.clock = Clock.systemUTC();
    }

    /** The error part of a dead letter. */
    public record ErrorInfo(String code, String message, Integer httpStatus, boolean retryable) {
    }

    /** The result of a verified file now at its target. */
    public Outcome completed(DownloadJob job) {
        Instant completedAt = clock.instant();
        ObjectNode result = mapper.createObjectNode()
                .put("id", job.id())
                .put("status", COMPLETED)
                .put("url", job.request().url().toString())
                .put("path", job.target())
                .put("size", job.digest().hashedBytes())
                .put("sha256", job.digest().sha256Hex());
        if (job.request().checksum() != null && !job.request().checksumAlgorithm().equals("SHA-256")) {
            result.putObject("checksum").put("algorithm", job.request().checksumAlgorithm())
                    .put("value", job.digest().requestedHex());
        }
        result.put("etag", job.probe().etag())
                .put("chunks", job.ledger().size())
                .put("connections", job.connections())
                .put("bytesTransferred", job.bytesTransferred())
                .put("retries", job.retries())
                .put("resumed", job.resumed())
                .put("durationMs", Duration.between(job.startedAt(), completedAt).toMillis())
                .put("startedAt", job.startedAt().toString())
                .put("completedAt", completedAt.toString());
        if (!job.request().mirrors().isEmpty()) {
            // where the bytes came from: the origin (as requested) and each mirror, with why one was dropped
            ArrayNode sources = result.putArray("sources");
            for (Sources.Source source : job.sources().all()) {
                ObjectNode entry = sources.addObject()
                        .put("url", source.mirror() ? source.url().toString() : job.request().url().toString())
                        .put("bytes", source.bytes());
                if (source.dropped() != null) {
                    entry.put("dropped", source.dropped());
                }
            }
        }
        metrics.outcome(COMPLETED, null);
        return new Outcome(job.id(), job.id(), COMPLETED, topics.results(), write(result));
    }

    /**
     * The dead letter of a recorded download that failed; {@code job} is null when it failed before it could start
     * (its stored request no longer valid), {@code stored} too when even its row could not be read.
     */
    public Outcome failed(String id, StoredDownload stored, DownloadJob job, Throwable cause) {
        ErrorInfo error = describe(cause);
        ObjectNode letter = deadLetter(id, error, stored == null ? 1 : stored.attempts(),
                stored == null ? new Source(null, null, null) : stored.source());
        if (job != null) {
            putEcho(letter, job.request().received());
        } else if (stored != null) {
            try {
                putEcho(letter, mapper.readTree(stored.requestJson()));
            } catch (JsonProcessingException e) {
                putRaw(letter, stored.requestJson().getBytes(StandardCharsets.UTF_8));
            }
        }
        // a cancelled download's row ends CANCELLED; its dead letter is a failure like any other, with its code
        String state = error.code().equals(ErrorCode.CANCELLED.name()) ? CANCELLED : FAILED;
        return new Outcome(id, id, state, topics.dlq(), write(letter));
    }

    /**
     * The dead letter of a request that never became a download: it failed validation. Keyed by its id (when it has
     * one short enough to be a key), by none when the payload was not JSON at all.
     */
    public Outcome rejected(byte[] payload, Source source, DownloadFailure failure) {
        JsonNode received = parsedOrNull(payload);
        String id = received != null && received.path("id").isTextual()
                && received.get("id").asText().length() <= MAX_KEY_CHARS ? received.get("id").asText()
                        : source.derivedId();
        ObjectNode letter = deadLetter(id, describe(failure), 0, source);
        if (received != null) {
            putEcho(letter, received);
        } else {
            putRaw(letter, payload);
        }
        return new Outcome(id, received == null ? null : id, FAILED, topics.dlq(), write(letter));
    }

    /**
     * The request, redacted, as {@code request}; or, when it is too large or too deeply nested to echo whole (a dead
     * letter must always fit the producer's limit and serialise), the start of its text as {@code raw}, with
     * {@code truncated: true}.
     */
    private void putEcho(ObjectNode letter, JsonNode received) {
        JsonNode echo = RequestEcho.of(received);
        if (depthExceeds(echo, MAX_ECHO_DEPTH)) {
            letter.put("raw", "(a JSON value nested deeper than " + MAX_ECHO_DEPTH + " levels)").put("truncated", true);
            return;
        }
        String text = write(echo);
        if (text.length() <= MAX_ECHO_CHARS) {
            letter.set("request", echo);
        } else {
            letter.put("raw", text.substring(0, MAX_ECHO_CHARS)).put("truncated", true);
        }
    }

    private static boolean depthExceeds(JsonNode node, int levels) {
        if (levels < 0) {
            return true;
        }
        if (node.isContainerNode()) {
            for (JsonNode child : node) {
                if (depthExceeds(child, levels - 1)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A recorded outcome answering a request that repeated a known id. */
    public Outcome asDuplicate(Outcome recorded) {
        try {
            ObjectNode json = (ObjectNode) mapper.readTree(recorded.json());
            json.put("duplicate", true);
            return new Outcome(recorded.id(), recorded.key(), recorded.state(), recorded.topic(), write(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("recorded outcome of " + recorded.id() + " is not JSON", e);
        }
    }

    /** Maps what ended a download to its stable code and a message a person understands. */
    public static ErrorInfo describe(Throwable cause) {
        Throwable t = unwrap(cause);
        if (t instanceof DownloadFailure f) {
            return new ErrorInfo(f.code(), f.getMessage(), f.httpStatus(), f.retryable());
        }
        if (t instanceof RetryableStatus r) {
            return new ErrorInfo("HTTP_" + r.status(), r.getMessage() + "; retries exhausted", r.status(), true);
        }
        if (t instanceof SSLHandshakeException || t instanceof SSLPeerUnverifiedException) {
            return new ErrorInfo(ErrorCode.NETWORK.name(), "TLS: the origin's certificate is not trusted or not for"
                    + " this host (" + t.getMessage() + "); see quarkus.tls.origin.* to trust another CA", null, false);
        }
        if (t instanceof StalledRange || t instanceof SocketTimeoutException) {
            return new ErrorInfo(ErrorCode.STALLED.name(), "the origin stalled, retries exhausted: " + t.getMessage(),
                    null, true);
        }
        if (t instanceof IOException) {
            return new ErrorInfo(ErrorCode.NETWORK.name(),
                    "network failure, retries exhausted: " + t.getClass().getSimpleName() + ": " + t.getMessage(), null,
                    true);
        }
        if (t instanceof RangeNotHonoured) {
            return new ErrorInfo(ErrorCode.ORIGIN_CHANGED.name(), t.getMessage(), null, true);
        }
        return new ErrorInfo(ErrorCode.INTERNAL.name(), "unexpected failure: " + t, null, false);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof UncheckedIOException || current instanceof RuntimeCamelException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private ObjectNode deadLetter(String id, ErrorInfo error, int attempts, Source source) {
        metrics.outcome(FAILED, error.code());
        ObjectNode letter = mapper.createObjectNode().put("id", id).put("status", FAILED);
        // a message may quote an origin's Location or a broken URL: never with its user-info
        ObjectNode e = letter.putObject("error").put("code", error.code())
                .put("message", RequestEcho.scrub(error.message()));
        if (error.httpStatus() == null) {
            e.putNull("httpStatus");
        } else {
            e.put("httpStatus", error.httpStatus());
        }
        e.put("retryable", error.retryable());
        letter.put("attempts", attempts);
        letter.putObject("source").put("topic", source.topic()).put("partition", source.partition())
                .put("offset", source.offset());
        letter.put("failedAt", clock.instant().toString());
        return letter;
    }

    private JsonNode parsedOrNull(byte[] payload) {
        if (payload == null || payload.length == 0) {
            return null;
        }
        try {
            JsonNode json = mapper.readTree(payload);
            return json == null || json.isMissingNode() ? null : json;
        } catch (IOException notJson) {
            return null;
        }
    }

    /**
     * The payload as text, or as base64 (flagged by rawEncoding) when it is not UTF-8; at most
     * {@value #MAX_ECHO_CHARS} characters of it, with {@code truncated: true} when cut.
     */
    private static void putRaw(ObjectNode letter, byte[] payload) {
        byte[] bytes = payload == null ? new byte[0] : payload;
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            byte[] head = bytes.length > MAX_ECHO_CHARS / 4 * 3 ? Arrays.copyOf(bytes, MAX_ECHO_CHARS / 4 * 3) : bytes;
            letter.put("raw", Base64.getEncoder().encodeToString(head)).put("rawEncoding", "base64");
            if (head.length < bytes.length) {
                letter.put("truncated", true);
            }
            return;
        }
        if (text.length() > MAX_ECHO_CHARS) {
            letter.put("raw", RequestEcho.scrub(text.substring(0, MAX_ECHO_CHARS))).put("truncated", true);
        } else {
            letter.put("raw", RequestEcho.scrub(text));
        }
    }

    private String write(JsonNode node) {
        try {
            return mapper.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
