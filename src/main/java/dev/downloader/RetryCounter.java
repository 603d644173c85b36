package dev.downloader;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/** Runs before each redelivery to an origin: counts it for the result's {@code retries}. */
@ApplicationScoped
@Named("retryCounter")
public class RetryCounter implements Processor {

    @Override
    public void process(Exchange exchange) {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        if (job != null) {
            job.countRetry();
        }
    }
}
