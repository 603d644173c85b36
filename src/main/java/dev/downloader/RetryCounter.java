package dev.downloader;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.downloader.fetch.OriginHosts;
import dev.downloader.fetch.RetryableStatus;

/**
 * Runs before each redelivery to an origin: counts it for the result's {@code retries}, and tells the host's breaker
 * of a call that broke (refused, reset, stalled); statuses were told when they arrived.
 */
@ApplicationScoped
@Named("retryCounter")
public class RetryCounter implements Processor {

    private final OriginHosts hosts;

    public RetryCounter(OriginHosts hosts) {
        this.hosts = hosts;
    }

    @Override
    public void process(Exchange exchange) {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        if (job != null) {
            job.countRetry();
            if (!(exchange.getProperty(Exchange.EXCEPTION_CAUGHT) instanceof RetryableStatus)) {
                hosts.broke(job.url());
            }
        }
    }
}
