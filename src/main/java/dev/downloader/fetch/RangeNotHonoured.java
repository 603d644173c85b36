package dev.downloader.fetch;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The origin answered a Range request with something other than the range asked (a 200 with the whole file, another
 * Content-Range, no length). The download falls back to one stream rather than write bytes at a wrong offset.
 */
@RegisterForReflection(fields = false)
public class RangeNotHonoured extends RuntimeException {

    public RangeNotHonoured(String message) {
        super(message);
    }
}
