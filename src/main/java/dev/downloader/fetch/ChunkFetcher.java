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
    private final long maxSize;
    private final long minBytesPerSecond;
    private final long stallWindowMs;

    public ChunkFetcher(OffsetWriter writer, Credentials credentials, DownloaderConfig config) {
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
        Chunk chunk = exchange.getIn().getBody(Chunk.class);
        ChunkLedger ledger = job.ledger();
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
        OriginRequest.prepare(in, "GET", job, credentials);
        if (job.ranged()) {
            in.setHeader("Range", "bytes=" + resumeAt + "-" + chunk.end());
            String validator = job.probe().ifRangeValidator();
            if (validator != null) {
                in.setHeader("If-Range", validator);
            }
        }
    }

    public void write(Exchange exchange) throws IOException {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        Chunk chunk = exchange.getProperty(CHUNK, Chunk.class);
        long resumeAt = exchange.getProperty(RESUME_AT, Long.class);
        Message in = exchange.getIn();
        Object body = in.getBody();
        boolean complete = false;
        try {
            int status = OriginRequest.status(in);
            OriginRequest.requireSuccess(in, status, OriginRequest.describe("GET", job.url()), job, credentials);
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
            writer.write(stream, job.part(), resumeAt, length, maxSize, bytes -> {
                ledger.addReceived(chunk.index(), bytes);
                job.addTransferred(bytes);
                job.requireNotStopped();
                stall.arrived(bytes);
            });
            complete = true;
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
