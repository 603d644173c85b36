package dev.downloader.plan;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * One byte range of a download: bytes {@code start..end}, both inclusive. {@code end == UNKNOWN_END} marks the single
 * range of a stream whose length the origin did not tell, read until the stream ends.
 */
@RegisterForReflection
public record Chunk(int index, long start, long end) {

    public static final long UNKNOWN_END = -1;

    public boolean lengthKnown() {
        return end != UNKNOWN_END;
    }

    public long length() {
        return lengthKnown() ? end - start + 1 : UNKNOWN_END;
    }
}
