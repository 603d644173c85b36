package dev.downloader.fetch;

import java.net.URI;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.core5.util.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.jboss.logging.Logger;

import dev.downloader.DownloadJob;
import dev.downloader.DownloaderConfig;
import dev.downloader.watch.DownloadMetrics;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.Guard;

/**
 * Politeness per origin host (name and port), across every download to it:
 * <ul>
 * <li>the connections its downloads share, halved after a 429 and grown back by one per budget's worth of successes
 * (AIMD, as TCP does); {@link HostBudgetConnections} takes one for every connection the HTTP client leases, so a
 * lane waits its turn there, whichever download it belongs to;</li>
 * <li>the requests they may send within any rolling second;</li>
 * <li>a circuit breaker (SmallRye Fault Tolerance) fed with the outcome of every call: while it is open, the host's
 * downloads park, or send their ranges to other sources, instead of calling it.</li>
 * </ul>
 */
@ApplicationScoped
public class OriginHosts {

    private static final Logger LOG = Logger.getLogger(OriginHosts.class);
    /** Hosts remembered before the idle ones are forgotten. */
    static final int TRACKED = 10_000;

    private final DownloaderConfig.Host config;
    private final int maxConnections;
    private final Map<String, Host> hosts = new ConcurrentHashMap<>();
    private final DownloadMetrics metrics;

    public OriginHosts(DownloaderConfig config, DownloadMetrics metrics) {
        this.metrics = metrics;
        this.config = config.host();
        this.maxConnections = config.maxConnectionsPerHost();
    }

    /** The failure fed to a host's breaker: the call's own outcome has already been handled. */
    static final class HostFailed extends RuntimeException {
        HostFailed() {
            super(null, null, false, false);
        }
    }

    /** Permits that can be taken back while held: a shrunk budget makes the next takers wait for enough returns. */
    private static final class Budget extends Semaphore {
        Budget(int permits) {
            super(permits, true);
        }

        void shrink(int permits) {
            reducePermits(permits);
        }
    }

    /** One host's budget and breaker. */
    final class Host {
        final String key;
        private final Budget connections = new Budget(maxConnections);
        private double budget = maxConnections;
        private long lastDecreaseNanos;
        private volatile Instant openUntil;
        private final Guard breaker;
        private final RequestWindow requestRate;

        Host(String key) {
            this.key = key;
            this.breaker = config.breaker().window() <= 0 ? null : Guard.create().withCircuitBreaker()
                    .requestVolumeThreshold(config.breaker().window())
                    .failureRatio(config.breaker().failureRatio())
                    .delay(config.breaker().openMs(), ChronoUnit.MILLIS)
                    .successThreshold(1)
                    .failOn(HostFailed.class)
                    .onStateChange(this::changed)
                    .done().build();
            int perSecond = config.maxRequestsPerSecond();
            this.requestRate = perSecond <= 0 ? null : new RequestWindow(perSecond, 1000, System::currentTimeMillis);
        }

        /**
         * Waits, up to {@code timeout}, until a request to the host keeps it within downloader.host.max-requests-per-
         * second over every rolling second.
         */
        void awaitRequestSlot(Timeout timeout) throws InterruptedException, TimeoutException {
            if (requestRate != null && !requestRate.take(timeout.toMilliseconds())) {
                throw new TimeoutException("no request slot for " + key + " within " + timeout);
            }
        }

        private void changed(CircuitBreakerState state) {
            if (state == CircuitBreakerState.OPEN) {
                openUntil = Instant.now().plusMillis(config.breaker().openMs());
                LOG.warnf("origin %s keeps failing: its downloads park until %s (downloader.host.breaker.*)", key,
                        openUntil);
            } else {
                openUntil = null;
                LOG.infof("origin %s: circuit %s", key, state.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
        }

        void record(boolean failed) {
            if (breaker == null) {
                return;
            }
            try {
                breaker.get(() -> {
                    if (failed) {
                        throw new HostFailed();
                    }
                    return null;
                }, Object.class);
            } catch (HostFailed | CircuitBreakerOpenException e) {
                // recorded (or not, while open): nothing else to do
            }
        }

        synchronized int budget() {
            return (int) budget;
        }

        /** Nothing to remember: the full budget, no connection out, the circuit closed. */
        synchronized boolean idle() {
            return budget >= maxConnections && connections.availablePermits() == maxConnections && openUntil == null;
        }

        /** Waits for one of the host's connections, up to {@code timeout}. */
        void acquire(Timeout timeout) throws InterruptedException, TimeoutException {
            if (!connections.tryAcquire(timeout.toMilliseconds(), TimeUnit.MILLISECONDS)) {
                throw new TimeoutException("no connection to " + key + " free within " + timeout);
            }
            metrics.connections(key, 1);
        }

        void release() {
            connections.release();
            metrics.connections(key, -1);
        }

        /** Multiplicative decrease, at most once per interval: the 429s of one burst count once. */
        synchronized void slowDown() {
            long now = System.nanoTime();
            if (lastDecreaseNanos != 0 && now - lastDecreaseNanos < config.aimd().decreaseIntervalMs() * 1_000_000) {
                return;
            }
            lastDecreaseNanos = now;
            int before = (int) budget;
            budget = Math.max(config.aimd().minConnections(), Math.floor(budget / 2));
            connections.shrink(before - (int) budget);
            LOG.infof("origin %s asked to slow down (429): its connection budget is now %d (was %d)", key,
                    (int) budget, before);
        }

        /** Additive increase: one more connection per budget's worth of successes, up to the configured cap. */
        synchronized void succeeded() {
            if (budget >= maxConnections) {
                return;
            }
            int before = (int) budget;
            budget = Math.min(maxConnections, budget + 1 / budget);
            connections.release((int) budget - before);
        }
    }

    /**
     * Before any call to {@code url} for the job: while the host's circuit is open, the download parks until it may
     * call again (or fails, out of parks).
     */
    public void requireCallable(DownloadJob job, URI url) {
        Host host = host(url);
        Instant until = host.openUntil;
        if (until != null && Instant.now().isBefore(until)) {
            job.parkWhileHostFails(host.key, until);
        }
    }

    /** False while the host's circuit is open: its calls would only add to its trouble. */
    public boolean callable(URI url) {
        Instant until = host(url).openUntil;
        return until == null || !Instant.now().isBefore(until);
    }

    /**
     * What the origin answered: a 429 slows the host down (and is not held against it: it asked for less, not that it
     * fails); another retryable status is a failure for its breaker.
     */
    public void answered(URI url, int status) {
        Host host = host(url);
        if (status != 429) {
            host.record(ResponseCheck.isRetryable(status));
        }
        if (status == 429) {
            host.slowDown();
        } else if (status >= 200 && status < 300) {
            host.succeeded();
        }
    }

    /** A call that broke (refused, reset, stalled): a failure for the host's breaker. */
    public void broke(URI url) {
        host(url).record(true);
    }

    /** The connections the host's downloads share now. */
    public int budget(URI url) {
        return host(url).budget();
    }

    /** The host a connection of this route goes to (with a proxy too: its target). */
    Host host(HttpRoute route) {
        return host(key(route));
    }

    private Host host(URI url) {
        return host(key(url));
    }

    /**
     * The host's state, made at its first call. Past {@link #TRACKED} hosts (a flood of files from many hosts), the
     * idle ones are forgotten: at their full budget, no connection out, circuit closed; only their breaker's recent
     * calls go with them.
     */
    private Host host(String key) {
        Host host = hosts.get(key);
        if (host != null) {
            return host;
        }
        if (hosts.size() >= TRACKED) {
            hosts.values().removeIf(Host::idle);
        }
        return hosts.computeIfAbsent(key, Host::new);
    }

    /** How a host is named in its budget, its log lines and its metrics: {@code host:port}. */
    public static String key(URI url) {
        return key(url.getScheme(), url.getHost(), url.getPort());
    }

    private static String key(HttpRoute route) {
        var target = route.getTargetHost();
        return key(target.getSchemeName(), target.getHostName(), target.getPort());
    }

    private static String key(String scheme, String host, int port) {
        int effective = port >= 0 ? port : "https".equalsIgnoreCase(scheme) ? 443 : 80;
        return host.toLowerCase(Locale.ROOT) + ":" + effective;
    }
}
