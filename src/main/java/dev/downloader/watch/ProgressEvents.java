package dev.downloader.watch;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.downloader.DownloadJob;
import dev.downloader.DownloadJobs;
import dev.downloader.outcome.KeyedJson;
import dev.downloader.outcome.Outcome;
import dev.downloader.plan.ChunkLedger;
import dev.downloader.state.DownloadState;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The events on the progress topic (DESIGN §2): one per running download at each tick of the progress-tick route, and
 * a last one when its run ends. The rate is measured between two events of the same download.
 */
@ApplicationScoped
@Named("progressEvents")
@RegisterForReflection(fields = false)
public class ProgressEvents {

    /** A progress event ready to publish, keyed by the download's id. */
    @RegisterForReflection
    public record Event(String key, String json) implements KeyedJson {
    }

    private record Sample(long bytes, long nanos) {
    }

    private static final String RUNNING = DownloadState.RUNNING.name();

    private final DownloadJobs jobs;
    private final ObjectMapper mapper;
    private final Clock clock = Clock.systemUTC();
    private final Map<String, Sample> lastSample = new ConcurrentHashMap<>();

    public ProgressEvents(DownloadJobs jobs, ObjectMapper mapper) {
        this.jobs = jobs;
        this.mapper = mapper;
    }

    /** An event for every download running here that has planned its chunks. */
    public List<Event> running() {
        List<Event> events = new ArrayList<>();
        for (DownloadJob job : jobs.running()) {
            if (job.ledger() != null) {
                events.add(event(job, RUNNING));
            }
        }
        return events;
    }

    /**
     * The last event of a download's run on this node: the state of its outcome, else QUEUED (stopped with the node,
     * to be resumed) or PARKED. None when it failed before its job could be made.
     */
    public Event ended(DownloadJob job, Outcome outcome) {
        if (job == null) {
            return null;
        }
        DownloadState stoppedIn = job.cancelled() ? DownloadState.CANCELLED
                : job.stopped() ? DownloadState.QUEUED : DownloadState.PARKED;
        String state = outcome != null ? outcome.state() : stoppedIn.name();
        Event last = event(job, state);
        lastSample.remove(job.id());
        return last;
    }

    /** The progress of a download running here, as the status API shows it; the next event's rate is not touched. */
    public ObjectNode now(DownloadJob job) {
        return progress(job, RUNNING, false);
    }

    private Event event(DownloadJob job, String state) {
        return new Event(job.id(), progress(job, state, true).toString());
    }

    private ObjectNode progress(DownloadJob job, String state, boolean sampled) {
        ChunkLedger ledger = job.ledger();
        long done = ledger == null ? 0 : ledger.receivedTotal();
        Long total = job.probe() == null ? null : job.probe().size();
        long now = System.nanoTime();
        Sample previous = sampled ? lastSample.put(job.id(), new Sample(done, now)) : lastSample.get(job.id());
        // the first event of a run measures from its start
        long sinceBytes = previous == null ? 0 : previous.bytes();
        long sinceNanos = previous == null ? Duration.between(job.startedAt(), clock.instant()).toNanos()
                : now - previous.nanos();
        double rate = sinceNanos <= 0 ? 0 : Math.max(0, done - sinceBytes) * 1e9 / sinceNanos;
        ObjectNode event = mapper.createObjectNode()
                .put("id", job.id())
                .put("state", state)
                .put("bytesDone", done);
        if (total == null) {
            event.putNull("bytesTotal").putNull("percent").putNull("etaSeconds");
        } else {
            event.put("bytesTotal", total)
                    .put("percent", total == 0 ? 100.0 : Math.round(1000.0 * done / total) / 10.0);
            if (RUNNING.equals(state) && rate > 0) {
                event.put("etaSeconds", Math.round((total - done) / rate));
            } else {
                event.putNull("etaSeconds");
            }
        }
        event.put("bytesPerSecond", Math.round(rate))
                .put("chunksDone", ledger == null ? 0 : ledger.doneCount())
                .put("chunksTotal", ledger == null ? 0 : ledger.size())
                .put("connectionsActive", ledger == null || !RUNNING.equals(state) ? 0 : ledger.inFlightCount())
                .put("at", clock.instant().toString());
        return event;
    }
}
