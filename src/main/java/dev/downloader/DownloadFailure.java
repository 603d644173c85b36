package dev.downloader;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A failure that ends a download (or rejects a request) with a stable code and a message meant for a person.
 * Thrown from beans; the routes turn it into exactly one dead-letter record.
 */
@RegisterForReflection(fields = false)
public class DownloadFailure extends RuntimeException {

    private final String code;
    private final Integer httpStatus;
    private final boolean retryable;

    public DownloadFailure(String code, String message, Integer httpStatus, boolean retryable, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.httpStatus = httpStatus;
        this.retryable = retryable;
    }

    public DownloadFailure(ErrorCode code, String message) {
        this(code.name(), message, null, false, null);
    }

    public static DownloadFailure invalid(String message) {
        return new DownloadFailure(ErrorCode.INVALID_REQUEST, message);
    }

    /** The download was cancelled through the API (DELETE /downloads/{id}). */
    public static DownloadFailure cancelled() {
        return new DownloadFailure(ErrorCode.CANCELLED, "cancelled through the API");
    }

    /** A status the origin answered that no retry will change, or a retryable one whose retries ran out. */
    public static DownloadFailure httpStatus(int status, String message, boolean retryable) {
        return new DownloadFailure("HTTP_" + status, message, status, retryable, null);
    }

    public String code() {
        return code;
    }

    public Integer httpStatus() {
        return httpStatus;
    }

    public boolean retryable() {
        return retryable;
    }
}
