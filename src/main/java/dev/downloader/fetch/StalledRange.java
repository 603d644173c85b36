package dev.downloader.fetch;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A range that delivers less than the configured floor: aborted, and retried on a fresh connection from the first byte
 * not on disk, like a network error. When its retries run out the download ends as {@code STALLED}.
 */
@RegisterForReflection(fields = false)
public class StalledRange extends RuntimeException {

    public StalledRange(String message) {
        super(message, null, false, false);
    }
}
