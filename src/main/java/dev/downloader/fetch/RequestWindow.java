package dev.downloader.fetch;

import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * At most {@code limit} requests within any rolling {@code windowMillis}: a request waits until the oldest of the last
 * {@code limit} has left the window. Blocking, as a lane should be; SmallRye's rate limit rejects instead, and a lane
 * asking again and again kept its rolling window full for ever.
 */
final class RequestWindow {

    private final int limit;
    private final long windowMillis;
    private final LongSupplier clockMillis;
    private final ArrayDeque<Long> sent = new ArrayDeque<>();

    RequestWindow(int limit, long windowMillis, LongSupplier clockMillis) {
        this.limit = limit;
        this.windowMillis = windowMillis;
        this.clockMillis = clockMillis;
    }

    /** How long a request must wait from now; 0 takes its slot. */
    synchronized long tryTake() {
        long now = clockMillis.getAsLong();
        while (!sent.isEmpty() && now - sent.peekFirst() >= windowMillis) {
            sent.pollFirst();
        }
        if (sent.size() < limit) {
            sent.addLast(now);
            return 0;
        }
        return sent.peekFirst() + windowMillis - now;
    }

    /** Waits for a slot, at most {@code maxWaitMillis}; false when none came in time. */
    boolean take(long maxWaitMillis) throws InterruptedException {
        long deadline = clockMillis.getAsLong() + maxWaitMillis;
        long wait;
        while ((wait = tryTake()) > 0) {
            if (clockMillis.getAsLong() + wait > deadline) {
                return false;
            }
            Thread.sleep(wait);
        }
        return true;
    }
}
