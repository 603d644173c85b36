package dev.downloader.fetch;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.io.ConnectionEndpoint;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.client5.http.io.LeaseRequest;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The HTTP client's connection manager with the hosts' politeness in front: a connection is leased from the pool (one
 * lease per request) only once its host ({@link OriginHosts}) has a connection to spare and a request slot within
 * its rate, and the host gets the connection back when the client releases it, whatever ended the call. The pool's own per-route limit stays the upper bound; the budget moves below it.
 */
final class HostBudgetConnections implements HttpClientConnectionManager {

    private final HttpClientConnectionManager pool;
    private final OriginHosts hosts;
    private final Map<ConnectionEndpoint, OriginHosts.Host> leased = new ConcurrentHashMap<>();

    HostBudgetConnections(HttpClientConnectionManager pool, OriginHosts hosts) {
        this.pool = pool;
        this.hosts = hosts;
    }

    @Override
    public LeaseRequest lease(String id, HttpRoute route, Timeout requestTimeout, Object state) {
        OriginHosts.Host host = hosts.host(route);
        return new LeaseRequest() {
            private volatile LeaseRequest request;
            private volatile boolean cancelled;

            @Override
            public ConnectionEndpoint get(Timeout timeout)
                    throws InterruptedException, ExecutionException, TimeoutException {
                host.acquire(timeout);
                try {
                    // the request goes out right after: its rate is counted where it leaves, not where it queued
                    host.awaitRequestSlot(timeout);
                    if (cancelled) {
                        throw new InterruptedException("lease cancelled");
                    }
                    request = pool.lease(id, route, requestTimeout, state);
                    ConnectionEndpoint endpoint = request.get(timeout);
                    leased.put(endpoint, host);
                    return endpoint;
                } catch (InterruptedException | ExecutionException | TimeoutException | RuntimeException e) {
                    host.release();
                    throw e;
                }
            }

            @Override
            public boolean cancel() {
                cancelled = true;
                LeaseRequest pending = request;
                return pending == null || pending.cancel();
            }
        };
    }

    @Override
    public void release(ConnectionEndpoint endpoint, Object newState, TimeValue validDuration) {
        try {
            pool.release(endpoint, newState, validDuration);
        } finally {
            OriginHosts.Host host = leased.remove(endpoint);
            if (host != null) {
                host.release();
            }
        }
    }

    @Override
    public void connect(ConnectionEndpoint endpoint, TimeValue connectTimeout, HttpContext context) throws IOException {
        pool.connect(endpoint, connectTimeout, context);
    }

    @Override
    public void upgrade(ConnectionEndpoint endpoint, HttpContext context) throws IOException {
        pool.upgrade(endpoint, context);
    }

    @Override
    public void close(CloseMode closeMode) {
        pool.close(closeMode);
    }

    @Override
    public void close() throws IOException {
        pool.close();
    }
}
