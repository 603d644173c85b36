package dev.downloader.fetch;

import jakarta.enterprise.context.ApplicationScoped;

import dev.downloader.DownloadJob;
import dev.downloader.DownloaderConfig;
import dev.downloader.watch.DownloadMetrics;

/**
 * What the bytes of every body from an origin pass on their way in, the probe's and the ranges' alike: the download
 * stopping, the stall floor, the node's bandwidth cap and the byte counter of their host.
 */
@ApplicationScoped
public class Arrivals {

    private final Bandwidth bandwidth;
    private final DownloadMetrics metrics;
    private final long minBytesPerSecond;
    private final long stallWindowMs;

    public Arrivals(Bandwidth bandwidth, DownloadMetrics metrics, DownloaderConfig config) {
        this.bandwidth = bandwidth;
        this.metrics = metrics;
        this.minBytesPerSecond = config.stall().minBytesPerSecond().asLongValue();
        this.stallWindowMs = config.stall().windowMs();
    }

    /** The watch over one body of {@code job}'s, from {@code host} (as {@link OriginHosts#key} names it). */
    public Watch watch(DownloadJob job, String host) {
        return new Watch(job, host, new StallWatch(minBytesPerSecond, stallWindowMs, System::currentTimeMillis));
    }

    /** One body's arrivals. */
    public final class Watch {

        private final DownloadJob job;
        private final String host;
        private final StallWatch stall;

        private Watch(DownloadJob job, String host, StallWatch stall) {
            this.job = job;
            this.host = host;
            this.stall = stall;
        }

        /**
         * {@code bytes} just arrived: throws when the download was stopped or the body stalls, returns once the cap
         * allows them.
         */
        public void arrived(int bytes) {
            job.requireNotStopped();
            stall.arrived(bytes);
            bandwidth.received(bytes);
            metrics.received(host, bytes);
        }
    }
}
