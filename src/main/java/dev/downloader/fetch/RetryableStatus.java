package dev.downloader.fetch;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** A status worth retrying (408, 429, most 5xx); {@code retryAfterMillis} is the origin's Retry-After, or -1. */
@RegisterForReflection(fields = false)
public class RetryableStatus extends RuntimeException {

    private final int status;
    private final long retryAfterMillis;

    public RetryableStatus(int status, String message, long retryAfterMillis) {
        super(message);
        this.status = status;
        this.retryAfterMillis = retryAfterMillis;
    }

    public int status() {
        return status;
    }

    public long retryAfterMillis() {
        return retryAfterMillis;
    }
}
