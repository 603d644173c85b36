package dev.downloader;

import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.downloader.plan.Chunk;
import dev.downloader.plan.ChunkLedger;
import dev.downloader.plan.InOrderDigest;
import dev.downloader.plan.ProbeResult;
import dev.downloader.plan.Sources;
import dev.downloader.plan.TailPolicy;
import dev.downloader.request.DownloadRequest;
import dev.downloader.state.Source;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * One download while it runs on this node: the request, what the probe found, the chunk ledger, the digest and the
 * part file. Carried through the routes as the exchange property {@code job}; its durable twin is the database row.
 */
@RegisterForReflection
public final class DownloadJob {

    public static final String PROPERTY = "job";

    private final DownloadRequest request;
    private final Source source;
    private final Instant startedAt;
    private final AtomicInteger retries = new AtomicInteger();
    private final AtomicLong bytesTransferred = new AtomicLong();
    private volatile URI url;
    private volatile int redirects;
    private final boolean planSaved;
    private volatile ProbeResult probe;
    private volatile byte[] firstBytes;
    private volatile Sources sources;
    private volatile String target;
    private volatile Path partFile;
    private volatile FileChannel part;
    private volatile ChunkLedger ledger;
    private volatile InOrderDigest digest;
    private volatile boolean ranged;
    private volatile int connections;
    private volatile boolean credentialsRenewed;
    private volatile boolean resumed;
    private volatile long maxRetryAfterMillis = Long.MAX_VALUE;
    private volatile long parkBeyondMillis = Long.MAX_VALUE;
    private volatile int parksLeft;
    private volatile boolean stopped;
    private volatile boolean cancelled;
    private volatile boolean keepPartFile;

    /** {@code planSaved}: a run before this one saved its plan and progress, which this one may resume. */
    public DownloadJob(DownloadRequest request, Source source, Instant startedAt, boolean planSaved) {
        this.request = request;
        this.source = source;
        this.startedAt = startedAt;
        this.url = request.url();
        this.planSaved = planSaved;
    }

    public String id() {
        return request.id();
    }

    public DownloadRequest request() {
        return request;
    }

    public Source source() {
        return source;
    }

    public Instant startedAt() {
        return startedAt;
    }

    /** The URL fetched now: the request's, or where its redirects led. */
    public URI url() {
        return url;
    }

    public int redirects() {
        return redirects;
    }

    public void redirectTo(URI location) {
        url = location;
        redirects++;
    }

    /** True when a run before this one saved its plan: its bytes are likely on disk already. */
    public boolean planSaved() {
        return planSaved;
    }

    public ProbeResult probe() {
        return probe;
    }

    /** True until the probe has answered (the probe route loops over redirects while it is). */
    public boolean awaitingProbe() {
        return probe == null;
    }

    /** The request names mirrors and the file is fetched in ranges: the mirrors are asked whether they serve it too. */
    public boolean asksMirrors() {
        return !request.mirrors().isEmpty() && probe != null && probe.rangedPlanPossible();
    }

    public void probed(ProbeResult result) {
        probed(result, null);
    }

    /** What the probe found, with the first bytes of the file its GET brought (null when it kept none). */
    public void probed(ProbeResult result, byte[] first) {
        probe = result;
        firstBytes = first;
        if (sources == null) {
            sources = new Sources(url, result);
        }
    }

    /** The first bytes of the file the probe brought, once: null when there are none, or they were taken. */
    public byte[] takeFirstBytes() {
        byte[] first = firstBytes;
        firstBytes = null;
        return first;
    }

    /** The origin (where the probe led) and the mirrors that showed the same file; null before the probe. */
    public Sources sources() {
        return sources;
    }

    public String target() {
        return target;
    }

    public Path partFile() {
        return partFile;
    }

    public FileChannel part() {
        return part;
    }

    public ChunkLedger ledger() {
        return ledger;
    }

    public InOrderDigest digest() {
        return digest;
    }

    public boolean ranged() {
        return ranged;
    }

    public int connections() {
        return connections;
    }

    /** The file was placed under another name than planned: its default target was taken. */
    public void placedAt(String finalTarget) {
        this.target = finalTarget;
    }

    /** Starts (or restarts) fetching the given plan into the part file, with a fresh digest. */
    public void fetchPlan(String target, Path partFile, FileChannel part, List<Chunk> chunks, boolean ranged,
            int connections, TailPolicy tail) {
        usePlan(target, partFile, part, new ChunkLedger(chunks, new long[chunks.size()], ranged ? tail : TailPolicy.NONE,
                System::nanoTime), ranged, connections);
        this.resumed = false;
    }

    /**
     * Continues a ranged plan from the bytes a previous run left in the part file; the digest starts over and catches up
     * by reading the done prefix back from the file.
     */
    public void resumePlan(String target, Path partFile, FileChannel part, ChunkLedger saved, int connections) {
        usePlan(target, partFile, part, saved, true, connections);
        this.resumed = true;
    }

    private void usePlan(String target, Path partFile, FileChannel part, ChunkLedger ledger, boolean ranged,
            int connections) {
        this.target = target;
        this.partFile = partFile;
        this.part = part;
        this.ranged = ranged;
        this.connections = connections;
        this.ledger = ledger;
        this.digest = new InOrderDigest(request.checksumAlgorithm());
    }

    /**
     * A Retry-After is honoured up to {@code maxRetryAfterMillis}; one longer than {@code beyondMillis} parks the
     * download, {@code parksLeft} more times at most.
     */
    public void parkingPolicy(long maxRetryAfterMillis, long beyondMillis, int parksLeft) {
        this.maxRetryAfterMillis = maxRetryAfterMillis;
        this.parkBeyondMillis = beyondMillis;
        this.parksLeft = parksLeft;
    }

    /**
     * The wait before the retry the origin asked for with Retry-After, capped: returned when the inline redelivery
     * may wait it, else thrown as {@link ParkDownload} while parks are left, else as a retryable failure with the
     * origin's status.
     */
    public long requireInlineWait(long retryAfterMillis, int status, String reason) {
        long wait = Math.min(retryAfterMillis, maxRetryAfterMillis);
        if (wait <= parkBeyondMillis) {
            return wait;
        }
        if (parksLeft > 0) {
            throw new ParkDownload(reason, java.time.Instant.now().plusMillis(wait));
        }
        throw DownloadFailure.httpStatus(status, reason + "; the origin keeps asking to come back later, and the"
                + " download was parked as often as downloader.retry.max-parks allows", true);
    }

    /**
     * The origin's host keeps failing (its circuit is open): thrown as {@link ParkDownload} until {@code until} while
     * parks are left, else as a retryable NETWORK failure.
     */
    public void parkWhileHostFails(String host, Instant until) {
        String reason = "origin " + host + " keeps failing (429, 5xx or broken connections across its downloads)";
        if (parksLeft > 0) {
            throw new ParkDownload(reason + "; its circuit is open until " + until, until);
        }
        throw new DownloadFailure(ErrorCode.NETWORK.name(), reason + ", and the download was parked as often as"
                + " downloader.retry.max-parks allows", null, true, null);
    }

    /** True when this run continued from progress a previous run saved. */
    public boolean resumed() {
        return resumed;
    }

    /** The download will go on later (suspended by a stop, or parked): its part file stays for the resume. */
    public void keepPartFile() {
        keepPartFile = true;
    }

    public boolean partFileKept() {
        return keepPartFile;
    }

    /** The node is shutting down: every lane stops at its next buffer, and the download is suspended, not failed. */
    public void stop() {
        stopped = true;
    }

    public boolean stopped() {
        return stopped;
    }

    /** Cancelled through the API, which answers for it: every lane stops at its next buffer, the part file goes. */
    public void cancel() {
        cancelled = true;
    }

    public boolean cancelled() {
        return cancelled;
    }

    /**
     * Throws once {@link #cancel()} or {@link #stop()} was called: lanes call it between buffers and requests. A
     * cancelled download fails (CANCELLED); a stopped one is suspended ({@link DownloadStopped}).
     */
    public void requireNotStopped() {
        if (cancelled) {
            throw DownloadFailure.cancelled();
        }
        if (stopped) {
            throw new DownloadStopped(id());
        }
    }

    /**
     * Chunk {@code index}'s bytes are all written: the digest passes it, hashing on over the done chunks that follow
     * (read back from the file where their bytes came ahead of their turn).
     */
    public void chunkDone(int index) {
        ledger.markDone(index);
        digest.advance(ledger, part);
    }

    /** The iterators the chunk split walks: one per connection. */
    public List<Iterator<Integer>> lanes() {
        return ledger.lanes(connections);
    }

    /** True when a lane found that the origin does not serve ranges as asked: the plan must become one stream. */
    public boolean rangeRefused() {
        return ledger.failure() instanceof dev.downloader.fetch.RangeNotHonoured;
    }

    /** True once a request of this download was retried with renewed credentials after a 401 or 403. */
    public boolean credentialsRenewed() {
        return credentialsRenewed;
    }

    public void markCredentialsRenewed() {
        credentialsRenewed = true;
    }

    public int countRetry() {
        return retries.incrementAndGet();
    }

    public int retries() {
        return retries.get();
    }

    /** Counts bytes received and written to the part file; returns this run's total so far. */
    public long addTransferred(long bytes) {
        return bytesTransferred.addAndGet(bytes);
    }

    public long bytesTransferred() {
        return bytesTransferred.get();
    }
}
