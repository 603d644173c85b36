package dev.downloader;

import java.net.URI;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.downloader.fetch.ChunkFetcher;
import dev.downloader.fetch.MirrorFailed;
import dev.downloader.fetch.OriginHosts;
import dev.downloader.fetch.RetryableStatus;
import dev.downloader.plan.Sources;
import dev.downloader.watch.DownloadMetrics;

/**
 * Runs before each redelivery to an origin: counts it for the result's {@code retries}, tells the host's breaker of a
 * call that broke (refused, reset, stalled; statuses were told when they arrived), and drops a mirror that failed.
 */
@ApplicationScoped
@Named("retryCounter")
public class RetryCounter implements Processor {

    private final OriginHosts hosts;
    private final DownloadMetrics metrics;

    public RetryCounter(OriginHosts hosts, DownloadMetrics metrics) {
        this.hosts = hosts;
        this.metrics = metrics;
    }

    @Override
    public void process(Exchange exchange) {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        if (job == null) {
            return;
        }
        job.countRetry();
        Object caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT);
        metrics.retried(caught);
        Sources.Source source = exchange.getProperty(ChunkFetcher.SOURCE, Sources.Source.class);
        URI called = source != null ? source.url() : job.url();
        if (!(caught instanceof RetryableStatus) && !(caught instanceof MirrorFailed)) {
            hosts.broke(called);
        }
        if (source != null && source.mirror() && caught instanceof Throwable failure) {
            // a mirror gets no second chance in this download: the retry goes to another source
            job.sources().drop(source, failure.getMessage());
        }
    }
}
