package dev.downloader.fetch;

import java.util.function.LongSupplier;

/**
 * Watches one response body for a stall: over every window of {@code windowMillis}, at least
 * {@code minBytesPerSecond} must arrive. Plain bookkeeping, told each buffer as it lands; total silence is the
 * socket timeout's job (no buffer ever lands to tell it).
 */
public final class StallWatch {

    private final long minBytesPerSecond;
    private final long windowMillis;
    private final LongSupplier clock;
    private long windowStart;
    private long windowBytes;

    public StallWatch(long minBytesPerSecond, long windowMillis, LongSupplier clockMillis) {
        this.minBytesPerSecond = minBytesPerSecond;
        this.windowMillis = windowMillis;
        this.clock = clockMillis;
        this.windowStart = clockMillis.getAsLong();
    }

    /** {@code bytes} just arrived; throws {@link StalledRange} when the window that just closed was below the floor. */
    public void arrived(long bytes) {
        if (minBytesPerSecond <= 0) {
            return;
        }
        windowBytes += bytes;
        long now = clock.getAsLong();
        long elapsed = now - windowStart;
        if (elapsed < windowMillis) {
            return;
        }
        long rate = windowBytes * 1000 / elapsed;
        if (rate < minBytesPerSecond) {
            throw new StalledRange("stalled: " + windowBytes + " bytes in " + elapsed + " ms (" + rate
                    + " B/s), below the floor of " + minBytesPerSecond + " B/s (downloader.stall.*)");
        }
        windowStart = now;
        windowBytes = 0;
    }
}
