package dev.downloader.outcome;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.RuntimeCamelException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.downloader.DownloadFailure;
import dev.downloader.DownloadJob;
import dev.downloader.DownloaderConfig;
import dev.downloader.ErrorCode;
import dev.downloader.fetch.RangeNotHonoured;
import dev.downloader.fetch.RetryableStatus;
import dev.downloader.state.Source;
import dev.downloader.state.StoredDownload;

/** Writes the two messages a request ends as (DESIGN §3): a result, or a dead-letter record. */
@ApplicationScoped
@Named("outcomes")
public class Outcomes {

    public static final String COMPLETED = "COMPLETED";
    public static final String FAILED = "FAILED";

    private final ObjectMapper mapper;
    private final DownloaderConfig.Topic topics;
    private final Clock clock;

    public Outcomes(ObjectMapper mapper, DownloaderConfig config) {
        this.mapper = mapper;
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
                .put("resumed", false)
                .put("durationMs", Duration.between(job.startedAt(), completedAt).toMillis())
                .put("startedAt", job.startedAt().toString())
                .put("completedAt", completedAt.toString());
        return new Outcome(job.id(), job.id(), COMPLETED, topics.results(), write(result));
    }

    /**
     * The dead letter of a recorded download that failed; {@code job} is null when it failed before it could start
     * (its stored request no longer valid), {@code stored} too when even its row could not be read.
     */
    public Outcome failed(String id, StoredDownload stored, DownloadJob job, Throwable cause) {
        ObjectNode letter = deadLetter(id, describe(cause), stored == null ? 1 : stored.attempts(),
                stored == null ? new Source(null, null, null) : stored.source());
        if (job != null) {
            letter.set("request", RequestEcho.of(job.request().received()));
        } else if (stored != null) {
            try {
                letter.set("request", RequestEcho.of(mapper.readTree(stored.requestJson())));
            } catch (JsonProcessingException e) {
                letter.put("raw", RequestEcho.scrub(stored.requestJson()));
            }
        }
        return new Outcome(id, id, FAILED, topics.dlq(), write(letter));
    }

    /**
     * The dead letter of a request that never became a download: it failed validation. Keyed by its id, or by none
     * when the payload was not JSON at all.
     */
    public Outcome rejected(byte[] payload, Source source, DownloadFailure failure) {
        JsonNode received = parsedOrNull(payload);
        String id = received != null && received.path("id").isTextual() ? received.get("id").asText()
                : source.derivedId();
        ObjectNode letter = deadLetter(id, describe(failure), 0, source);
        if (received != null) {
            letter.set("request", RequestEcho.of(received));
        } else {
            putRaw(letter, payload);
        }
        return new Outcome(id, received == null ? null : id, FAILED, topics.dlq(), write(letter));
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
        if (t instanceof IOException) {
            return new ErrorInfo(ErrorCode.NETWORK.name(),
                    "network failure, retries exhausted: " + t.getClass().getSimpleName() + ": " + t.getMessage(), null,
                    true);
        }
        if (t instanceof RangeNotHonoured) {
            return new ErrorInfo(ErrorCode.ORIGIN_CHANGED.name(), t.getMessage(), null, true);
        }
        return new ErrorInfo("INTERNAL", "unexpected failure: " + t, null, false);
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

    /** The payload as text, or as base64 (flagged by rawEncoding) when it is not UTF-8. */
    private static void putRaw(ObjectNode letter, byte[] payload) {
        byte[] bytes = payload == null ? new byte[0] : payload;
        try {
            letter.put("raw", RequestEcho.scrub(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString()));
        } catch (CharacterCodingException e) {
            letter.put("raw", Base64.getEncoder().encodeToString(bytes)).put("rawEncoding", "base64");
        }
    }

    private String write(ObjectNode node) {
        try {
            return mapper.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
