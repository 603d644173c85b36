package dev.downloader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.time.Clock;
import java.time.YearMonth;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.jboss.logging.Logger;

import dev.downloader.fetch.ChunkFetcher;
import dev.downloader.plan.Chunk;
import dev.downloader.plan.ChunkPlanner;
import dev.downloader.plan.ProbeResult;
import dev.downloader.request.DownloadRequest;
import dev.downloader.request.RequestValidator;
import dev.downloader.state.DownloadStore;
import dev.downloader.state.StoredDownload;

/** The life of a download on this node: start from its row, plan, record chunks, fall back, end. */
@ApplicationScoped
@Named("downloadJobs")
public class DownloadJobs {

    public static final String STORED = "stored";
    private static final Logger LOG = Logger.getLogger(DownloadJobs.class);

    private final DownloadStore store;
    private final RequestValidator validator;
    private final ChunkPlanner planner;
    private final DownloaderConfig config;
    private final FileFinisher finisher;
    private final Path dataDir;
    private final Clock clock = Clock.systemUTC();

    public DownloadJobs(DownloadStore store, RequestValidator validator, ChunkPlanner planner,
            DownloaderConfig config, FileFinisher finisher) {
        this.store = store;
        this.validator = validator;
        this.planner = planner;
        this.config = config;
        this.finisher = finisher;
        this.dataDir = config.dataDir().toAbsolutePath().normalize();
    }

    /** Loads a claimed download; its request is validated again, as configuration may have changed since. */
    public DownloadJob start(String id, Exchange exchange) throws SQLException {
        StoredDownload stored = store.load(id);
        exchange.setProperty(STORED, stored);
        DownloadRequest request = validator.validate(stored.requestJson().getBytes(StandardCharsets.UTF_8), id);
        DownloadJob job = new DownloadJob(request, stored.source(), clock.instant());
        exchange.setProperty(DownloadJob.PROPERTY, job);
        return job;
    }

    /** Plans the chunks from the probe, persists the plan and preallocates tmp/&lt;id&gt;.part. */
    public void plan(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job) throws IOException, SQLException {
        ProbeResult probe = job.probe();
        DownloadRequest request = job.request();
        String target = request.target() != null ? request.target() : defaultTarget(job);
        finisher.requireTargetFree(job, target);
        boolean ranged = probe.rangedPlanPossible();
        long chunkSize = request.chunkSize() != null ? request.chunkSize() : config.chunkSize().asLongValue();
        List<Chunk> chunks = ranged ? planner.plan(probe.size(), chunkSize) : planner.singleStream(probe.size());
        int asked = request.connections() != null ? request.connections() : config.connections();
        // never more connections than chunks: the result reports the connections actually used
        int connections = ranged ? Math.min(asked, chunks.size()) : 1;
        Path part = openPart(job, probe.size(), ranged);
        store.savePlan(job.id(), job.url(), probe, ranged, chunks, target);
        job.fetchPlan(target, part, FileChannel.open(part, StandardOpenOption.READ, StandardOpenOption.WRITE), chunks,
                ranged, connections);
    }

    /** The origin did not serve a range as asked: start over as one stream, never keeping bytes of the ranged try. */
    public void fallBackToSingleStream(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job)
            throws IOException, SQLException {
        LOG.warnf("download %s: %s; falling back to a single stream", job.id(), job.ledger().failure().getMessage());
        job.part().truncate(0);
        List<Chunk> chunks = planner.singleStream(job.probe().size());
        store.savePlan(job.id(), job.url(), job.probe(), false, chunks, job.target());
        job.fetchPlan(job.target(), job.partFile(), job.part(), chunks, false, 1);
    }

    /** A lane's turn: the next pending chunk, or null when another lane took the last one. */
    public Chunk claimChunk(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job) {
        return job.ledger().claimNext();
    }

    /** Records a chunk as done, in the database first: only bytes already written are ever called done. */
    public void chunkDone(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job,
            @ExchangeProperty(ChunkFetcher.CHUNK) Chunk chunk) throws SQLException {
        store.markChunkDone(job.id(), chunk.index());
        job.ledger().markDone(chunk.index());
    }

    /** A lane gave up on a chunk: the first failure ends the download and the other lanes take no more chunks. */
    public void laneFailed(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Throwable cause) {
        job.ledger().fail(cause);
    }

    /** Closes the part file; removes it unless it became the target (a crash leaves it for resume). */
    public void end(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job) {
        if (job == null || job.part() == null) {
            return;
        }
        try {
            job.part().close();
            Files.deleteIfExists(job.partFile());
        } catch (IOException e) {
            LOG.warnf("download %s: cannot remove %s: %s", job.id(), job.partFile(), e.getMessage());
        }
    }

    private Path openPart(DownloadJob job, Long size, boolean preallocate) throws IOException {
        Path tmp = dataDir.resolve("tmp");
        Files.createDirectories(tmp);
        if (size != null && tmp.toFile().getUsableSpace() < size) {
            throw new DownloadFailure(ErrorCode.STORAGE, "not enough disk space for " + size + " bytes: "
                    + tmp.toFile().getUsableSpace() + " usable under " + tmp);
        }
        Path part = tmp.resolve(job.id() + ".part");
        try (FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            if (preallocate && size > 0) {
                // sparse: sets the length so every chunk has its place, without writing the zeros
                channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
            }
        }
        return part;
    }

    /** raw/&lt;yyyy-MM&gt;/&lt;name from Content-Disposition or the URL&gt;, falling back to the id. */
    private String defaultTarget(DownloadJob job) {
        String name = sanitize(job.probe().fileName());
        if (name == null) {
            // the decoded path: %XX escapes are undone, '+' stays '+'
            String path = job.url().getPath();
            name = sanitize(path == null ? null : path.substring(path.lastIndexOf('/') + 1));
        }
        return "raw/" + YearMonth.now(clock) + "/" + (name == null ? job.id() : name);
    }

    /**
     * The last segment of a name an origin suggested, without control or invisible characters; null when nothing
     * usable is left (empty, '.', '..', or too long for a file system).
     */
    private static String sanitize(String name) {
        if (name == null) {
            return null;
        }
        String base = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1)
                .replaceAll("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}\\p{Cn}]", "").trim();
        if (base.isEmpty() || base.equals(".") || base.equals("..") || base.getBytes(StandardCharsets.UTF_8).length > 200) {
            return null;
        }
        return base;
    }
}
