package dev.downloader.fetch;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Message;

import dev.downloader.DownloadFailure;
import dev.downloader.DownloadJob;
import dev.downloader.DownloaderConfig;
import dev.downloader.auth.Credentials;
import dev.downloader.plan.Chunk;
import dev.downloader.plan.ChunkLedger;
import dev.downloader.plan.Sources;
import dev.downloader.watch.DownloadMetrics;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * One range message's two ends around the HTTP call: the request (Range from the first byte not yet on disk, If-Range
 * so a changed file cannot be mixed in) and the response (accepted only as the range asked, streamed to its offset).
 */
@ApplicationScoped
@Named("chunkFetcher")
@RegisterForReflection(fields = false)
public class ChunkFetcher {

    /** The exchange property holding the range message's chunk once its body is the response. */
    public static final String CHUNK = "chunk";
    private static final String RESUME_AT = "chunkResumeAt";
    private static final String SENT_AT = "chunkSentAt";
    /** The exchange property holding the source the range message's current try goes to. */
    public static final String SOURCE = "chunkSource";

    private final OffsetWriter writer;
    private final Credentials credentials;
    private final OriginHosts hosts;
    private final Arrivals arrivals;
    private final DownloadMetrics metrics;
    private final PartWriteback writeback;
    private final long maxSize;

    public ChunkFetcher(OffsetWriter writer, Credentials credentials, OriginHosts hosts, Arrivals arrivals,
            DownloaderConfig config, DownloadMetrics metrics, PartWriteback writeback) {
        this.writer = writer;
        this.writeback = writeback;
        this.metrics = metrics;
        this.credentials = credentials;
        this.hosts = hosts;
        this.arrivals = arrivals;
        this.maxSize = config.maxSize().map(s -> s.asLongValue()).orElse(0L);
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
        // ranges go to the sources in turn, past those whose host's circuit is open; with none left, the origin's
        // open circuit parks the download
        Sources.Source source = job.ranged() ? job.sources().next(s -> hosts.callable(s.url())) : null;
        if (source == null) {
            source = job.sources().origin();
        }
        exchange.setProperty(CHUNK, chunk);
        exchange.setProperty(RESUME_AT, resumeAt);
        exchange.setProperty(SOURCE, source);
        exchange.setProperty(SENT_AT, System.nanoTime());
        Message in = exchange.getIn();
        OriginRequest.prepare(in, "GET", job, source.url(), credentials, hosts);
        if (job.ranged()) {
            in.setHeader("Range", "bytes=" + resumeAt + "-" + chunk.end());
            String validator = source.probe().ifRangeValidator();
            if (validator != null) {
                in.setHeader("If-Range", validator);
            }
        }
    }

    /**
     * Writes the first bytes the probe brought as the start of chunk 0, as a range's bytes are written: hashed, counted
     * and received. A file no larger is then done without another request; a larger one's first range goes on from
     * there. Nothing is written when the plan is one stream or a resumed chunk 0 already holds bytes.
     */
    public void writeFirstBytes(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job) throws IOException {
        byte[] first = job.takeFirstBytes();
        ChunkLedger ledger = job.ledger();
        Chunk chunk = ledger.chunk(0);
        if (first == null || !job.ranged() || chunk.start() != 0 || ledger.received(0) != 0) {
            return;
        }
        int length = (int) Math.min(first.length, chunk.length());
        Sources.Source origin = job.sources().origin();
        writer.write(new ByteArrayInputStream(first, 0, length), job.part(), 0, length, maxSize,
                OffsetWriter.WHOLE_RANGE, (at, buffer) -> bufferWritten(job, chunk, origin, at, buffer));
        if (!ledger.hasBytesLeft(0)) {
            job.chunkDone(0);
        }
    }

    /**
     * A mirror's answer must be exactly the range asked for, of the version it showed at its probe; anything else
     * (an error status, a whole file, another version) drops the mirror for this download, and the range goes at once
     * to another source: the origin stays the judge of what the file is.
     */
    private void requireMirrorServes(DownloadJob job, Sources.Source mirror, Message in, int status, long start,
            long end) {
        hosts.answered(mirror.url(), status);
        try {
            if (status < 200 || status >= 300) {
                throw new MirrorFailed("it answered " + status);
            }
            requireRangeOf(mirror, in, status, start, end);
        } catch (MirrorFailed | RangeNotHonoured | DownloadFailure e) {
            job.sources().drop(mirror, e.getMessage());
            throw new MirrorFailed(e.getMessage());
        }
    }

    /** Only a 206 with exactly the asked range, of the version the source showed at its probe, is written. */
    private static void requireRangeOf(Sources.Source source, Message in, int status, long start, long end) {
        ResponseCheck.ContentRange range = ResponseCheck.requireRange(status,
                in.getHeader("Content-Range", String.class), start, end);
        ResponseCheck.requireSameVersion(source.probe(), in.getHeader("ETag", String.class),
                in.getHeader("Last-Modified", String.class), range.total());
    }

    /** False once the chunk's bytes are all on disk: another lane took the rest of it while this one waited to retry. */
    public boolean hasBytesLeft(Exchange exchange) {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        return job.ledger().hasBytesLeft(taken(exchange).index());
    }

    /** Removes what a range message leaves on its exchange, so the next one starts from its own chunk. */
    public static void forgetRange(Exchange exchange) {
        exchange.removeProperty(CHUNK);
        exchange.removeProperty(RESUME_AT);
        exchange.removeProperty(SOURCE);
        exchange.removeProperty(SENT_AT);
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
        Sources.Source source = exchange.getProperty(SOURCE, Sources.Source.class);
        Object body = in.getBody();
        String host = OriginHosts.key(source.url());
        boolean complete = false;
        try {
            int status = OriginRequest.status(in);
            long length;
            if (source.mirror()) {
                requireMirrorServes(job, source, in, status, resumeAt, chunk.end());
                length = chunk.end() - resumeAt + 1;
            } else if (job.ranged()) {
                OriginRequest.requireSuccess(in, status, OriginRequest.describe("GET", source.url()), job, source.url(),
                        credentials, hosts);
                requireRangeOf(source, in, status, resumeAt, chunk.end());
                length = chunk.end() - resumeAt + 1;
            } else {
                OriginRequest.requireSuccess(in, status, OriginRequest.describe("GET", source.url()), job, source.url(),
                        credentials, hosts);
                String etag = in.getHeader("ETag", String.class);
                String lastModified = in.getHeader("Last-Modified", String.class);
                ResponseCheck.requireSameVersion(job.probe(), etag, lastModified,
                        OriginRequest.longHeader(in, "Content-Length"));
                length = OffsetWriter.TO_END_OF_STREAM;
            }
            InputStream stream = body instanceof InputStream s ? s : InputStream.nullInputStream();
            ChunkLedger ledger = job.ledger();
            Arrivals.Watch arrival = arrivals.watch(job, host);
            OffsetWriter.Allowance allowance = job.ranged()
                    ? (position, read) -> ledger.admit(chunk.index(), position, read)
                    : OffsetWriter.WHOLE_RANGE;
            long written = writer.write(stream, job.part(), resumeAt, length, maxSize, allowance, (at, buffer) -> {
                bufferWritten(job, chunk, source, at, buffer);
                arrival.arrived(buffer.remaining());
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
            metrics.chunkFetched(host, System.nanoTime() - exchange.getProperty(SENT_AT, Long.class), complete);
        }
    }

    /**
     * One buffer of {@code chunk} written to the part file, from the first bytes or a range: the next bytes in file
     * order are hashed now, not read back from the file later; the bytes are counted for the chunk, the download
     * (whose part file is synced in the background every {@code downloader.sync-every} bytes) and their source.
     */
    private void bufferWritten(DownloadJob job, Chunk chunk, Sources.Source source, long at, ByteBuffer buffer) {
        int bytes = buffer.remaining();
        job.digest().offer(chunk.start(), at, buffer, job.part());
        job.ledger().addReceived(chunk.index(), bytes);
        writeback.wrote(job.partFile(), job.addTransferred(bytes), bytes);
        source.received(bytes);
    }
}
