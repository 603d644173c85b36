package dev.downloader.plan;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** What the origin said about the file before any byte was fetched. {@code size} is null when it gave no length. */
@RegisterForReflection
public record ProbeResult(Long size, String etag, String lastModified, boolean acceptsRanges, String fileName) {

    /** Ranges are worth asking for only when the origin advertises them and the length is known. */
    public boolean rangedPlanPossible() {
        return acceptsRanges && size != null && size > 0;
    }

    /** The ETag when it is strong (a weak one may stay the same while the bytes change); else null. */
    public String strongEtag() {
        return etag != null && !etag.startsWith("W/") ? etag : null;
    }

    /** A validator for If-Range: a strong ETag, else Last-Modified; null when the origin gave neither. */
    public String ifRangeValidator() {
        return strongEtag() != null ? strongEtag() : lastModified;
    }
}
