package dev.downloader.fetch;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A mirror failed or served something other than the range of the file it showed: it is dropped for the download,
 * and the range is retried at once on another source (the origin-retries policy in routes/30-fetch.yaml).
 */
@RegisterForReflection(fields = false)
public class MirrorFailed extends RuntimeException {

    public MirrorFailed(String reason) {
        super(reason, null, false, false);
    }
}
