package dev.downloader;

import java.time.Instant;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The origin asked to come back later than the inline retries wait (a long Retry-After): the download is parked until
 * then, its progress saved and no thread held, and a Quartz route queues it again when it is due. Not a failure.
 */
@RegisterForReflection(fields = false)
public class ParkDownload extends RuntimeException {

    private final Instant until;

    public ParkDownload(String reason, Instant until) {
        super(reason, null, false, false);
        this.until = until;
    }

    public Instant until() {
        return until;
    }
}
