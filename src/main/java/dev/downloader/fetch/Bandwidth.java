package dev.downloader.fetch;

import jakarta.enterprise.context.ApplicationScoped;

import com.google.common.util.concurrent.RateLimiter;

import dev.downloader.DownloaderConfig;

/**
 * The overall bandwidth cap, {@code downloader.max-bytes-per-second}, shared by every lane of every download on this
 * node: a lane that received a buffer waits until the cap allows it, so the socket fills and TCP slows the origin.
 */
@ApplicationScoped
public class Bandwidth {

    private final RateLimiter limiter;

    public Bandwidth(DownloaderConfig config) {
        long cap = config.maxBytesPerSecond().asLongValue();
        this.limiter = cap > 0 ? RateLimiter.create(cap) : null;
    }

    /** {@code bytes} just arrived: returns once the cap allows them. */
    public void received(long bytes) {
        if (limiter != null && bytes > 0) {
            limiter.acquire((int) Math.min(Integer.MAX_VALUE, bytes));
        }
    }
}
