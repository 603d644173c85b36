package dev.downloader.plan;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** What the origin said about the file before any byte was fetched. {@code size} is null when it gave no length. */
@RegisterForReflection
public record ProbeResult(Long size, String etag, String lastModified, boolean acceptsRanges, String fileName) {

    /** Ranges are worth asking for only when the origin advertises them and the length is known. */
    public boolean rangedPlanPossible() {
        return acceptsRanges && size != null && size > 0;
    }

    /** A validator for If-Range: a strong ETag, else Last-Modified; null when the origin gave neither. */
    public String ifRangeValidator() {
        if (etag != null && !etag.startsWith("W/")) {
            return etag;
        }
        return lastModified;
    }
}
