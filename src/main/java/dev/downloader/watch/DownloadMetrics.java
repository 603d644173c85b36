package dev.downloader.watch;

import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import com.google.common.base.Suppliers;

import dev.downloader.DownloadJobs;
import dev.downloader.state.DownloadState;
import dev.downloader.state.DownloadStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * What {@code /q/metrics} shows of the downloads (Micrometer, scraped by Prometheus): bytes and connections per origin
 * host, chunk-fetch latency, retries by cause, outcomes by code, and the backlog by state. Hosts are named as the
 * politeness budget names them ({@code host:port}).
 */
@ApplicationScoped
public class DownloadMetrics {

    private final MeterRegistry registry;
    private final Map<String, Counter> bytesByHost = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> connectionsByHost = new ConcurrentHashMap<>();

    public DownloadMetrics(MeterRegistry registry, DownloadStore store, DownloadJobs jobs) {
        this.registry = registry;
        Gauge.builder("downloader.downloads.active", jobs, DownloadJobs::activeCount)
                .description("Downloads running on this node")
                .register(registry);
        // one query per scrape at most, whatever the number of gauges read from it
        Supplier<Map<DownloadState, Long>> backlog = Suppliers.memoizeWithExpiration(() -> {
            try {
                return store.countUnfinished();
            } catch (SQLException e) {
                return Map.of();
            }
        }, 1, TimeUnit.SECONDS);
        for (DownloadState state : DownloadState.values()) {
            if (state.ended()) {
                continue;
            }
            Gauge.builder("downloader.downloads", backlog,
                    counts -> counts.get().getOrDefault(state, Long.valueOf(-1)).doubleValue())
                    .description("Downloads in this state over every node (-1 while the database cannot be read)")
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .strongReference(true)
                    .register(registry);
        }
    }

    /** Bytes that arrived from a host and were written, counted as they arrive. */
    public void received(String host, long bytes) {
        bytesByHost.computeIfAbsent(host, h -> Counter.builder("downloader.downloaded")
                .description("Bytes received from origins and mirrors and written to part files")
                .baseUnit("bytes")
                .tag("host", h)
                .register(registry)).increment(bytes);
    }

    /** One ranged (or whole-file) GET, from the request to the last byte written or the failure. */
    public void chunkFetched(String host, long nanos, boolean complete) {
        Timer.builder("downloader.chunk.fetch")
                .description("Time of one range request, until its body is written or it fails")
                .publishPercentileHistogram()
                .tag("host", host)
                .tag("result", complete ? "complete" : "failed")
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A call about to be tried again, by what made it fail. */
    public void retried(Object cause) {
        Counter.builder("downloader.retries")
                .description("Calls to origins and mirrors tried again, by what made them fail")
                .tag("cause", cause == null ? "unknown" : cause.getClass().getSimpleName())
                .register(registry).increment();
    }

    /** A request's outcome as decided on this node: COMPLETED, or FAILED with its error code. */
    public void outcome(String status, String code) {
        Counter.builder("downloader.outcomes")
                .description("Outcomes decided on this node, by status and error code")
                .tag("status", status)
                .tag("code", code == null ? "none" : code)
                .register(registry).increment();
    }

    /** A connection to a host taken from its budget (+1) or given back (-1). */
    public void connections(String host, int change) {
        connectionsByHost.computeIfAbsent(host, h -> {
            AtomicInteger inUse = new AtomicInteger();
            Gauge.builder("downloader.connections.in.use", inUse, AtomicInteger::get)
                    .description("Connections to the host in use by this node's downloads")
                    .tag("host", h)
                    .register(registry);
            return inUse;
        }).addAndGet(change);
    }
}
