package dev.downloader;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * The aggregation of a lane's range messages: as each chunk lands, the digest advances over the contiguous prefix of
 * done chunks. Chunks are ordered by their offsets in the part file, never by holding their bytes.
 */
@ApplicationScoped
@Named("chunkAssembler")
public class ChunkAssembler implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange previous, Exchange landed) {
        DownloadJob job = landed.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        job.digest().advance(job.ledger(), job.part());
        return previous == null ? landed : previous;
    }
}
