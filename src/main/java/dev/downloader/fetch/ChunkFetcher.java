package dev.downloader.fetch;

import java.io.IOException;
import java.io.InputStream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

import dev.downloader.DownloadJob;
import dev.downloader.DownloaderConfig;
import dev.downloader.auth.Credentials;
import dev.downloader.plan.Chunk;
import dev.downloader.plan.ChunkLedger;

/**
 * One range message's two ends around the HTTP call: the request (Range from the first byte not yet on disk, If-Range
 * so a changed file cannot be mixed in) and the response (accepted only as the range asked, streamed to its offset).
 */
@ApplicationScoped
@Named("chunkFetcher")
public class ChunkFetcher {

    /** The exchange property holding the range message's chunk once its body is the response. */
    public static final String CHUNK = "chunk";
    private static final String RESUME_AT = "chunkResumeAt";

    private final OffsetWriter writer;
    private final Credentials credentials;
    private final OriginHosts hosts;
    private final Bandwidth bandwidth;
    private final long maxSize;
    private final long minBytesPerSecond;
    private final long stallWindowMs;

    public ChunkFetcher(OffsetWriter writer, Credentials credentials, OriginHosts hosts, Bandwidth bandwidth,
            DownloaderConfig config) {
        this.hosts = hosts;
        this.bandwidth = bandwidth;
        this.writer = writer;
        this.credentials = credentials;
        this.maxSize = config.maxSize().map(s -> s.asLongValue()).orElse(0L);
        this.minBytesPerSecond = config.stall().minBytesPerSecond().asLongValue();
        this.stallWindowMs = config.stall().windowMs();
    }

    public void prepare(Exchange exchange) throws IOException {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        // a retry due after the node began to stop is not sent
        job.requireNotStopped();
        ChunkLedger ledger = job.ledger();
        // as it is now: another lane may have taken the end of it
        Chunk chunk = ledger.chunk(taken(exchange).index());
        long resumeAt;
        if (job.ranged()) {
            resumeAt = chunk.start() + ledger.received(chunk.index());
        } else {
            // one stream cannot resume: every attempt starts over
            ledger.resetReceived(chunk.index());
            job.part().truncate(0);
            resumeAt = 0;
        }
        exchange.setProperty(CHUNK, chunk);
        exchange.setProperty(RESUME_AT, resumeAt);
        Message in = exchange.getIn();
        OriginRequest.prepare(in, "GET", job, credentials, hosts);
        if (job.ranged()) {
            in.setHeader("Range", "bytes=" + resumeAt + "-" + chunk.end());
            String validator = job.probe().ifRangeValidator();
            if (validator != null) {
                in.setHeader("If-Range", validator);
            }
        }
    }

    /** False once the chunk's bytes are all on disk: another lane took the rest of it while this one waited to retry. */
    public boolean hasBytesLeft(Exchange exchange) {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        return job.ledger().hasBytesLeft(taken(exchange).index());
    }

    /**
     * The chunk this range message is about: the body of its first try; a retry finds it in the property, since a
     * failed call leaves no chunk in the body.
     */
    private static Chunk taken(Exchange exchange) {
        Chunk chunk = exchange.getProperty(CHUNK, Chunk.class);
        return chunk != null ? chunk : exchange.getIn().getBody(Chunk.class);
    }

    public void write(Exchange exchange) throws IOException {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        // the chunk as asked for: the tail may shorten it while its body arrives, never lengthen it
        Chunk chunk = exchange.getProperty(CHUNK, Chunk.class);
        long resumeAt = exchange.getProperty(RESUME_AT, Long.class);
        Message in = exchange.getIn();
        Object body = in.getBody();
        boolean complete = false;
        try {
            int status = OriginRequest.status(in);
            OriginRequest.requireSuccess(in, status, OriginRequest.describe("GET", job.url()), job, credentials, hosts);
            String etag = in.getHeader("ETag", String.class);
            String lastModified = in.getHeader("Last-Modified", String.class);
            long length;
            if (job.ranged()) {
                ResponseCheck.ContentRange range = ResponseCheck.requireRange(status,
                        in.getHeader("Content-Range", String.class), resumeAt, chunk.end());
                ResponseCheck.requireSameVersion(job.probe(), etag, lastModified, range.total());
                length = chunk.end() - resumeAt + 1;
            } else {
                ResponseCheck.requireSameVersion(job.probe(), etag, lastModified,
                        OriginRequest.longHeader(in, "Content-Length"));
                length = OffsetWriter.TO_END_OF_STREAM;
            }
            InputStream stream = body instanceof InputStream s ? s : InputStream.nullInputStream();
            ChunkLedger ledger = job.ledger();
            StallWatch stall = new StallWatch(minBytesPerSecond, stallWindowMs, System::currentTimeMillis);
            OffsetWriter.Allowance allowance = job.ranged()
                    ? (position, read) -> ledger.admit(chunk.index(), position, read)
                    : OffsetWriter.WHOLE_RANGE;
            long written = writer.write(stream, job.part(), resumeAt, length, maxSize, allowance, bytes -> {
                ledger.addReceived(chunk.index(), bytes);
                job.addTransferred(bytes);
                job.requireNotStopped();
                stall.arrived(bytes);
                bandwidth.received(bytes);
            });
            // a range cut short by the tail leaves the rest of its body unread: the connection is dropped, not drained
            complete = length == OffsetWriter.TO_END_OF_STREAM || written == length;
        } finally {
            if (complete && body instanceof InputStream stream) {
                stream.close();
            } else {
                OriginRequest.abandon(body);
            }
            // the stream is spent: nothing downstream (stream caching included) may touch it again
            in.setBody(chunk);
        }
    }
}
