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
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Named;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.spi.CamelEvent;
import org.jboss.logging.Logger;

import dev.downloader.fetch.ChunkFetcher;
import dev.downloader.fetch.ResponseCheck;
import dev.downloader.plan.Chunk;
import dev.downloader.plan.ChunkLedger;
import dev.downloader.plan.ChunkPlanner;
import dev.downloader.plan.ProbeResult;
import dev.downloader.plan.TailPolicy;
import dev.downloader.request.DownloadRequest;
import dev.downloader.request.RequestValidator;
import dev.downloader.state.DownloadStore;
import dev.downloader.state.StoredDownload;
import dev.downloader.state.StoredPlan;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** The life of a download on this node: start from its row, plan, record chunks, fall back, end. */
@ApplicationScoped
@Named("downloadJobs")
@RegisterForReflection(fields = false)
public class DownloadJobs {

    public static final String STORED = "stored";
    private static final Logger LOG = Logger.getLogger(DownloadJobs.class);

    private final DownloadStore store;
    private final RequestValidator validator;
    private final ChunkPlanner planner;
    private final DownloaderConfig config;
    private final FileFinisher finisher;
    private final PartFiles partFiles;
    private final Clock clock = Clock.systemUTC();
    /** The downloads running on this node, by id: their progress is saved, and they stop when the node stops. */
    private final Map<String, DownloadJob> running = new ConcurrentHashMap<>();
    /** Ids claimed by this process and not ended yet (running, or handed to a worker): the heartbeat's list. */
    private final Set<String> owned = ConcurrentHashMap.newKeySet();
    private volatile boolean nodeStopping;
    private final TailPolicy tail;

    public DownloadJobs(DownloadStore store, RequestValidator validator, ChunkPlanner planner,
            DownloaderConfig config, FileFinisher finisher, PartFiles partFiles) {
        this.store = store;
        this.partFiles = partFiles;
        this.validator = validator;
        this.planner = planner;
        this.config = config;
        this.finisher = finisher;
        DownloaderConfig.Tail t = config.tail();
        this.tail = t.minSplitSize().asLongValue() <= 0 ? TailPolicy.NONE
                : new TailPolicy(t.minSplitSize().asLongValue(), t.slowRatio(), t.observeMs(), t.minTimeLeftMs());
    }

    /** Loads a claimed download; its request is validated again, as configuration may have changed since. */
    public DownloadJob start(String id, Exchange exchange) throws SQLException {
        StoredDownload stored = store.load(id);
        exchange.setProperty(STORED, stored);
        DownloadRequest request = validator.validate(stored.requestJson().getBytes(StandardCharsets.UTF_8), id);
        DownloadJob job = new DownloadJob(request, stored.source(), clock.instant(), stored.planSaved());
        job.parkingPolicy(config.retry().maxRetryAfterMs(), config.retry().parkBeyondMs(),
                config.retry().maxParks() - stored.parks());
        exchange.setProperty(DownloadJob.PROPERTY, job);
        running.put(id, job);
        if (nodeStopping) {
            job.stop();
        }
        job.requireNotStopped();
        finisher.requireTargetFree(job);
        return job;
    }

    /**
     * Continues the plan a previous run saved when its bytes can still be trusted; otherwise plans the chunks from the
     * probe, persists the plan and preallocates tmp/&lt;id&gt;.part.
     */
    public void plan(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job) throws IOException, SQLException {
        // a first run, as nearly every small file is, has no plan to read back
        StoredPlan saved = job.planSaved() ? store.loadPlan(job.id()) : null;
        if (saved != null && resume(job, saved)) {
            return;
        }
        ProbeResult probe = job.probe();
        DownloadRequest request = job.request();
        String target = request.target() != null ? request.target() : defaultTarget(job);
        boolean ranged = probe.rangedPlanPossible();
        List<Chunk> chunks = ranged ? planner.plan(probe.size(), chunkSizeFor(request, probe.size()))
                : planner.singleStream(probe.size());
        int connections = ranged ? connectionsFor(request, chunks.size()) : 1;
        // one plan at a time: the space check counts what the downloads planned before this one still need
        synchronized (running) {
            FileChannel part = openPart(job, probe.size(), ranged);
            job.fetchPlan(target, partFileOf(job), part, chunks, ranged, connections, tail);
        }
        if (resumable(job)) {
            store.savePlan(job.id(), job.url(), probe, ranged, chunks, target);
        }
    }

    /** A ranged download of a file not smaller than downloader.resume.min-size: its plan and progress are saved. */
    private boolean resumable(DownloadJob job) {
        Long size = job.probe().size();
        return job.ranged() && size != null && size >= config.resume().minSize().asLongValue();
    }

    /**
     * Resumes from a saved ranged plan when the part file is still there and the origin still serves the same version
     * (strong ETag, else Last-Modified, and size, compared with what the saved bytes came with). Every range then
     * carries If-Range with the saved validator, so no byte of another version can be mixed in. A changed file
     * restarts from the first byte, or fails ORIGIN_CHANGED when downloader.resume.on-origin-change says so.
     */
    private boolean resume(DownloadJob job, StoredPlan saved) throws IOException, SQLException {
        ProbeResult then = saved.probe();
        ProbeResult now = job.probe();
        Path part = partFileOf(job);
        if (!saved.ranged() || !saved.coversFile() || saved.receivedTotal() == 0 || then.ifRangeValidator() == null
                || !Files.isRegularFile(part) || Files.size(part) != then.size()) {
            return false;
        }
        try {
            if (!now.rangedPlanPossible()) {
                throw new DownloadFailure(ErrorCode.ORIGIN_CHANGED, "the origin no longer serves ranges of the file");
            }
            ResponseCheck.requireSameVersion(then, now.etag(), now.lastModified(), now.size());
        } catch (DownloadFailure changed) {
            if (config.resume().onOriginChange() == DownloaderConfig.Resume.OnOriginChange.FAIL) {
                throw new DownloadFailure(ErrorCode.ORIGIN_CHANGED, "the file changed at the origin while the download"
                        + " was stopped, with " + saved.receivedTotal() + " bytes saved: " + changed.getMessage());
            }
            LOG.warnf("download %s: starting over from the first byte, %d saved bytes dropped: %s", job.id(),
                    saved.receivedTotal(), changed.getMessage());
            return false;
        }
        job.probed(new ProbeResult(then.size(), then.etag(), then.lastModified(), true, now.fileName()));
        ChunkLedger ledger = new ChunkLedger(saved.chunks(), saved.received(), tail, System::nanoTime);
        int pending = ledger.size() - ledger.doneCount();
        job.resumePlan(saved.target(), part, reopenPart(part), ledger,
                connectionsFor(job.request(), Math.max(1, pending)));
        // the digest catches up over the done prefix, read back from the part file
        job.digest().advance(job.ledger(), job.part());
        LOG.infof("download %s: resumed with %d of %d bytes saved", job.id(), saved.receivedTotal(), then.size());
        return true;
    }

    /** The request's chunk size, else the default one, made smaller so that every connection asked for has work. */
    private long chunkSizeFor(DownloadRequest request, long size) {
        if (request.chunkSize() != null) {
            return request.chunkSize();
        }
        return ChunkPlanner.defaultChunkSize(size, config.chunkSize().asLongValue(), askedConnections(request),
                config.minChunkSize().asLongValue());
    }

    /** The request's connections (or the default), never more than the chunks to fetch: the result reports these. */
    private int connectionsFor(DownloadRequest request, int chunks) {
        return Math.min(askedConnections(request), chunks);
    }

    private int askedConnections(DownloadRequest request) {
        return request.connections() != null ? request.connections() : config.connections();
    }

    /** The origin did not serve a range as asked: start over as one stream, never keeping bytes of the ranged try. */
    public void fallBackToSingleStream(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job)
            throws IOException, SQLException {
        LOG.warnf("download %s: %s; falling back to a single stream", job.id(), job.ledger().failure().getMessage());
        job.part().truncate(0);
        List<Chunk> chunks = planner.singleStream(job.probe().size());
        store.savePlan(job.id(), job.url(), job.probe(), false, chunks, job.target());
        job.fetchPlan(job.target(), job.partFile(), job.part(), chunks, false, 1, tail);
    }

    /**
     * Claims queued downloads for this node, up to its free slots; none once the node is stopping (a download it
     * suspended would be claimed back at once). The database counts the slots; while this process holds every one of
     * them it is not asked (a flood of requests wakes the claimer once per request).
     */
    public List<String> claim(int maxActive) throws SQLException {
        if (nodeStopping || owned.size() >= maxActive) {
            return List.of();
        }
        List<String> claimed = store.claimQueued(maxActive);
        owned.addAll(claimed);
        return claimed;
    }

    /** The downloads running on this node now. */
    public int activeCount() {
        return running.size();
    }

    /** The downloads running on this node now, as they go on. */
    public Collection<DownloadJob> running() {
        return Collections.unmodifiableCollection(running.values());
    }

    /** The heartbeat of the downloads this process claimed and has not ended: only these stay fresh. */
    public int heartbeat() throws SQLException {
        List<String> ids = List.copyOf(owned);
        int alive = store.heartbeat(ids);
        if (alive < ids.size()) {
            // cancelled through another node's API: stop here too
            store.cancelledAmong(ids).forEach(this::stopCancelled);
        }
        return alive;
    }

    /** The download of this id running here, or null. */
    public DownloadJob runningJob(String id) {
        return running.get(id);
    }

    /** A download cancelled through the API: if it runs here, its lanes stop at their next buffer. */
    public void stopCancelled(String id) {
        DownloadJob job = running.get(id);
        if (job != null) {
            job.cancel();
        }
    }

    /**
     * A lane's turn: the next pending chunk, or a share of a busy one at the tail; null when another lane took the last
     * one, or when nothing is worth sharing yet (the lane then waits a little before its next turn).
     */
    public Chunk claimChunk(Exchange turn) throws InterruptedException {
        // a turn starts clean: what an earlier range message left on the exchange is not this one's
        ChunkFetcher.forgetRange(turn);
        DownloadJob job = turn.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        Chunk chunk = job.ledger().claimNext();
        if (chunk == null) {
            job.ledger().awaitChange(Math.min(250, Math.max(10, tail.observeMillis() / 4)));
        }
        return chunk;
    }

    /**
     * A chunk's bytes are all written: the digest passes it, hashing on over the done chunks that follow (read back
     * from the file where their bytes came ahead of their turn). On the lane's own thread, so no download waits for
     * another's hashing. The database learns it with the next progress save, after the bytes are synced.
     */
    public void chunkDone(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job,
            @ExchangeProperty(ChunkFetcher.CHUNK) Chunk chunk) {
        job.chunkDone(chunk.index());
    }

    /**
     * Syncs the part file of every running ranged download and records how many bytes of each chunk it holds, so a
     * crash re-fetches at most what arrived since (the Quartz route save-progress runs it).
     */
    public void saveProgress() {
        for (DownloadJob job : running.values()) {
            try {
                saveProgress(job);
            } catch (IOException | SQLException e) {
                // the download ended meanwhile (its file closed), or the database is away: the next save catches up
                LOG.debugf("download %s: progress not saved: %s", job.id(), e.getMessage());
            }
        }
    }

    private void saveProgress(DownloadJob job) throws IOException, SQLException {
        synchronized (job) {
            ChunkLedger ledger = job.ledger();
            // nothing planned yet, not resumable (one stream, or a small file), or ended: end() closes the file
            // under this lock
            if (ledger == null || !resumable(job) || !job.part().isOpen()) {
                return;
            }
            // counted before the sync, so every byte counted is on disk when it is recorded
            Map<Integer, Long> progress = ledger.unsavedProgress();
            List<Chunk> shapes = ledger.unsavedShapes();
            if (progress.isEmpty()) {
                return;
            }
            job.part().force(false);
            store.saveProgress(job.id(), shapes, progress);
            ledger.progressSaved(progress, shapes);
        }
    }

    /** The node began to stop (SIGTERM): every running download stops at its next buffer, to be suspended. */
    void stopAll(@Observes CamelEvent.CamelContextStoppingEvent stopping) {
        nodeStopping = true;
        if (!running.isEmpty()) {
            LOG.infof("stopping %d running download(s); their progress is saved for the next start", running.size());
        }
        running.values().forEach(DownloadJob::stop);
    }

    /**
     * A download stopped by the node's shutdown: its progress is saved and it goes back to the queue, where the next
     * start (of this node or another) resumes it. No outcome.
     */
    public void suspend(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job) throws IOException, SQLException {
        saveProgress(job);
        job.keepPartFile();
        store.suspend(job.id());
        ChunkLedger ledger = job.ledger();
        LOG.infof("download %s: stopped with %d bytes saved; queued to resume", job.id(),
                ledger == null || !job.ranged() ? 0 : ledger.receivedTotal());
    }

    /** A lane gave up on a chunk: the first failure ends the download and the other lanes take no more chunks. */
    public void laneFailed(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Throwable cause) {
        job.ledger().fail(cause);
    }

    /**
     * The origin asked to come back later than the inline retries wait: the download's progress is saved and it
     * waits PARKED, on no node and no thread, until the Quartz route resume-parked queues it again. No outcome yet.
     */
    public void park(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) ParkDownload park) throws IOException, SQLException {
        saveProgress(job);
        job.keepPartFile();
        store.park(job.id(), park.until());
        LOG.infof("download %s: parked until %s: %s", job.id(), park.until(), park.getMessage());
    }

    /**
     * Closes the part file; removes it unless it became the target or the download will go on later (stopped by a
     * shutdown, or parked); a crash leaves it too.
     */
    public void end(@ExchangeProperty("downloadId") String id, @ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job) {
        owned.remove(id);
        if (job == null) {
            return;
        }
        running.remove(job.id(), job);
        try {
            synchronized (job) {
                if (job.part() != null) {
                    job.part().close();
                }
            }
            if (!job.partFileKept()) {
                // also the part file a previous run left, when this run failed before opening it
                Files.deleteIfExists(partFileOf(job));
            }
        } catch (IOException e) {
            LOG.warnf("download %s: cannot remove %s: %s", job.id(), job.partFile(), e.getMessage());
        }
    }

    /** A new, empty tmp/&lt;id&gt;.part, open for the lanes; STORAGE when the disk cannot take it. */
    private FileChannel openPart(DownloadJob job, Long size, boolean preallocate) {
        Path tmp = partFiles.directory();
        try {
            FileFinisher.createDirectoryIfMissing(tmp);
            long usable = tmp.toFile().getUsableSpace();
            long promised = stillToWrite();
            if (size != null && usable - promised < size) {
                throw new DownloadFailure(ErrorCode.STORAGE, "not enough disk space for " + size + " bytes: " + usable
                        + " usable under " + tmp + ", " + promised + " of them still to be written by running downloads");
            }
            FileChannel channel = FileChannel.open(partFileOf(job), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            try {
                if (preallocate && size > 0) {
                    // sparse: sets the length so every chunk has its place, without writing the zeros
                    channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
                }
                return channel;
            } catch (IOException e) {
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            throw storageFailure("cannot create " + partFileOf(job), e);
        }
    }

    /**
     * Bytes the running downloads of known size have yet to write: part files are sparse, so the disk fills as they
     * arrive, and two downloads that each fit alone would otherwise both fail half-way.
     */
    private long stillToWrite() {
        long bytes = 0;
        for (DownloadJob other : running.values()) {
            ChunkLedger ledger = other.ledger();
            if (ledger != null && other.probe() != null && other.probe().size() != null) {
                bytes += Math.max(0, other.probe().size() - ledger.receivedTotal());
            }
        }
        return bytes;
    }

    /** The part file a previous run left, open for the lanes to go on. */
    private FileChannel reopenPart(Path part) {
        try {
            return FileChannel.open(part, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw storageFailure("cannot open " + part, e);
        }
    }

    /** Without the cause: Camel would match an IOException cause as a network error, to be retried. */
    private static DownloadFailure storageFailure(String what, IOException cause) {
        return new DownloadFailure(ErrorCode.STORAGE, what + ": " + cause.getMessage());
    }

    private Path partFileOf(DownloadJob job) {
        return partFiles.of(job.id());
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
