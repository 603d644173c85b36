package dev.downloader.testsupport;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

/**
 * A real HTTP origin on a loopback socket: serves files with Range, ETag and Accept-Ranges, and misbehaves on demand
 * (ignores Range, refuses HEAD, answers 503 or 404, drops the connection mid-body). Records what it was asked.
 */
public final class TestOrigin implements AutoCloseable {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    private final HttpServer server;
    private final String scheme;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, Served> files = new ConcurrentHashMap<>();
    /** Every request the origin received, for any path, in order. */
    public final List<Seen> seen = new CopyOnWriteArrayList<>();
    /** The most GETs this origin (one host) was answering at the same time. */
    public final AtomicInteger mostConcurrentGets = new AtomicInteger();
    private final AtomicInteger concurrentGets = new AtomicInteger();

    /**
     * An OAuth2 token endpoint (client credentials): every POST issues a new token, the last one issued is the one
     * the origin's protected files accept, and {@link #revoke()} makes it stale, as an expired session would be.
     */
    public static final class TokenEndpoint {
        public final AtomicInteger issued = new AtomicInteger();
        volatile String current;
        /** Seconds the tokens issued from now on are valid for. */
        public volatile int expiresIn;

        public String current() {
            return current;
        }

        /** The current token is no longer accepted; a new one is issued at the next POST. */
        public void revoke() {
            current = "revoked";
        }
    }

    private final Map<String, TokenEndpoint> tokenEndpoints = new ConcurrentHashMap<>();

    /** Serves a token endpoint at {@code path}, issuing tokens valid for {@code expiresIn} seconds. */
    public TokenEndpoint tokenEndpoint(String path, int expiresIn) {
        TokenEndpoint endpoint = new TokenEndpoint();
        endpoint.expiresIn = expiresIn;
        tokenEndpoints.put(path, endpoint);
        return endpoint;
    }

    /**
     * One request as the origin received it: method, request-target as sent, headers (names lower-cased), and when
     * (epoch milliseconds).
     */
    public record Seen(String method, String target, Map<String, List<String>> headers, long at) {
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
            return values == null ? null : String.join(",", values);
        }
    }

    public TestOrigin() throws IOException {
        this(0);
    }

    public TestOrigin(int port) throws IOException {
        this(port, null);
    }

    /** An HTTPS origin when {@code tls} is given: it presents the certificate of that context's key store. */
    public TestOrigin(int port, SSLContext tls) throws IOException {
        if (tls == null) {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        } else {
            HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", port), 50);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        scheme = tls == null ? "http" : "https";
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** Serves {@code content} at {@code path}; the returned handle sets faults and tells what was asked. */
    public Served serve(String path, byte[] content) {
        return serve(path, Content.of(content), etagOf(content));
    }

    /** Serves {@code content} at {@code path} with this ETag. */
    public Served serve(String path, Content content, String etag) {
        Served served = new Served(content, etag);
        files.put(path, served);
        return served;
    }

    private static String etagOf(byte[] content) {
        return "\"" + Integer.toHexString(java.util.Arrays.hashCode(content)) + "\"";
    }

    /**
     * What a served file holds: bytes in memory, or a file on disk read a slice at a time (the benchmarks serve files
     * past the 2 GiB an array can hold).
     */
    public interface Content {
        long length();

        /** Writes bytes {@code at} to {@code at + n - 1}. */
        void writeTo(OutputStream out, long at, int n) throws IOException;

        static Content of(byte[] bytes) {
            return new Content() {
                @Override
                public long length() {
                    return bytes.length;
                }

                @Override
                public void writeTo(OutputStream out, long at, int n) throws IOException {
                    out.write(bytes, (int) at, n);
                }
            };
        }

        static Content of(java.nio.file.Path file) throws IOException {
            java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.READ);
            long size = channel.size();
            return new Content() {
                @Override
                public long length() {
                    return size;
                }

                @Override
                public void writeTo(OutputStream out, long at, int n) throws IOException {
                    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(n);
                    while (buffer.hasRemaining()) {
                        if (channel.read(buffer, at + buffer.position()) < 0) {
                            throw new IOException("file ends before byte " + (at + n));
                        }
                    }
                    out.write(buffer.array(), 0, n);
                }
            };
        }
    }

    public String url(String path) {
        return url("127.0.0.1", path);
    }

    /** The URL of {@code path} under another name for this origin (e.g. one the test hosts file maps). */
    public String url(String host, String path) {
        return scheme + "://" + host + ":" + port() + path;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The requests seen for paths starting with {@code prefix}. */
    public List<Seen> seen(String prefix) {
        return seen.stream().filter(r -> r.target().startsWith(prefix)).toList();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** One served file: its faults (set before the request is sent) and the requests it saw. */
    public static final class Served {
        volatile Content content;
        volatile String etag;
        volatile String lastModified = "Wed, 21 Oct 2026 07:28:00 GMT";
        final Map<String, String> extraHeaders = new ConcurrentHashMap<>();
        final AtomicInteger getsBeforeChange = new AtomicInteger(-1);
        volatile Content changedContent;
        volatile String changedEtag;
        volatile boolean ignoreIfRange;
        final Map<Integer, Runnable> getActions = new ConcurrentHashMap<>();
        volatile java.util.function.Predicate<Seen> authorized;
        volatile int refusal = 401;
        volatile int redirectStatus;
        volatile String redirectLocation;
        volatile boolean ignoreRange;
        volatile boolean refuseHead;
        volatile int status;
        final AtomicInteger failuresLeft = new AtomicInteger();
        volatile int failureStatus;
        volatile String failureRetryAfter;
        final AtomicInteger resetsLeft = new AtomicInteger();
        final AtomicInteger stallsLeft = new AtomicInteger();
        volatile long stallBytesPerSecond;
        public final List<String> gets = new CopyOnWriteArrayList<>();
        private final java.util.concurrent.atomic.AtomicInteger getsArrived = new java.util.concurrent.atomic.AtomicInteger();
        /** How many GETs of this file were being answered once each arrived (itself included), in order. */
        public final List<Integer> concurrencyAtGet = new CopyOnWriteArrayList<>();
        final AtomicInteger concurrentGets = new AtomicInteger();
        /** When each GET arrived (epoch milliseconds), in the order of {@link #gets}. */
        public final List<Long> getTimes = new CopyOnWriteArrayList<>();
        public final AtomicInteger partialResponses = new AtomicInteger();
        public final AtomicInteger fullResponses = new AtomicInteger();
        /** Bytes of bodies written to clients (what a re-fetch wastes is measured in these). */
        public final java.util.concurrent.atomic.AtomicLong bytesSent = new java.util.concurrent.atomic.AtomicLong();
        volatile long bytesPerSecond;
        volatile long slowConnectionBytesPerSecond;
        final java.util.concurrent.atomic.AtomicReference<java.net.InetSocketAddress> slowPeer =
                new java.util.concurrent.atomic.AtomicReference<>();
        /** When body bytes went out (System.nanoTime): the first, the last, and the one that passed 95 % of the file. */
        final java.util.concurrent.atomic.AtomicLong firstByteNanos = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong lastByteNanos = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong nanosAt95 = new java.util.concurrent.atomic.AtomicLong();
        /** Bytes of bodies written to the slow connection. */
        public final java.util.concurrent.atomic.AtomicLong slowConnectionBytesSent = new java.util.concurrent.atomic.AtomicLong();

        Served(Content content, String etag) {
            this.content = content;
            this.etag = etag;
        }

        public String etag() {
            return etag;
        }

        /** Answers GET with Range by sending the whole file with a 200, while HEAD still claims Accept-Ranges. */
        public Served ignoringRange() {
            ignoreRange = true;
            return this;
        }

        public Served refusingHead() {
            refuseHead = true;
            return this;
        }

        /** Every request gets this status. */
        public Served answering(int status) {
            this.status = status;
            return this;
        }

        /** The first {@code times} GETs get {@code status} (with Retry-After: 0). */
        public Served failingFirst(int times, int status) {
            return failingFirst(times, status, 0);
        }

        /** The first {@code times} GETs get {@code status} with Retry-After: {@code retryAfterSeconds}. */
        public Served failingFirst(int times, int status, int retryAfterSeconds) {
            return failingFirst(times, status, Integer.toString(retryAfterSeconds));
        }

        /** The first {@code times} GETs get {@code status} with this Retry-After (seconds, or an HTTP date). */
        public Served failingFirst(int times, int status, String retryAfter) {
            failuresLeft.set(times);
            failureStatus = status;
            failureRetryAfter = retryAfter;
            return this;
        }

        /**
         * After {@code gets} GETs the file is replaced by {@code newContent}, with a new ETag and Last-Modified: the
         * origin changed during the download.
         */
        public Served changingAfter(int gets, byte[] newContent) {
            changedContent = Content.of(newContent);
            changedEtag = "\"changed-" + Integer.toHexString(java.util.Arrays.hashCode(newContent)) + "\"";
            getsBeforeChange.set(gets);
            return this;
        }

        /** Answers 401 to every request {@code authorized} does not accept. */
        public Served requiring(java.util.function.Predicate<Seen> authorized) {
            return requiring(authorized, 401);
        }

        /** Answers {@code refusal} (401, 403) to every request {@code authorized} does not accept. */
        public Served requiring(java.util.function.Predicate<Seen> authorized, int refusal) {
            this.authorized = authorized;
            this.refusal = refusal;
            return this;
        }

        /**
         * Runs {@code action} when the {@code nth} GET arrives (1-based), before it is answered and before a later GET
         * is numbered.
         */
        public Served onGet(int nth, Runnable action) {
            getActions.put(nth, action);
            return this;
        }

        /** Serves the asked range even when If-Range names another version (a broken cache or server). */
        public Served ignoringIfRange() {
            ignoreIfRange = true;
            return this;
        }

        /** Sends no ETag: Last-Modified is the only validator. */
        public Served withoutEtag() {
            etag = null;
            return this;
        }

        /** Adds a response header to every answer (Content-Encoding, Content-Disposition, ...). */
        public Served withHeader(String name, String value) {
            extraHeaders.put(name, value);
            return this;
        }

        /** Every request is answered {@code status} with this Location, sent as given. */
        public Served redirecting(int status, String location) {
            redirectStatus = status;
            redirectLocation = location;
            return this;
        }

        /** Every response body is sent at this many bytes per second (per connection), like a slow link. */
        public Served throttled(long bytesPerSecond) {
            this.bytesPerSecond = bytesPerSecond;
            return this;
        }

        /**
         * The first {@code times} GETs send their headers, then the body at {@code bytesPerSecond} (0: nothing at all,
         * the connection held open): a stalled origin.
         */
        public Served stallingFirst(int times, long bytesPerSecond) {
            stallsLeft.set(times);
            stallBytesPerSecond = bytesPerSecond;
            return this;
        }

        /**
         * The first connection to GET this file is served at {@code bytesPerSecond} for as long as it lives, the others
         * as {@link #throttled} says: one slow path among fast ones.
         */
        public Served slowFirstConnection(long bytesPerSecond) {
            slowConnectionBytesPerSecond = bytesPerSecond;
            return this;
        }

        /** The first {@code times} GETs send half their body, then the connection is dropped. */
        public Served droppingFirst(int times) {
            resetsLeft.set(times);
            return this;
        }
    }

    /**
     * The benchmarks run this: serves one file from disk (read as asked, never held in memory) at /file.bin on the
     * given port, until killed; optionally at
     * {@code args[2]} bytes per second per connection, with the first connection at {@code args[3]}. GET /timeline
     * tells when the body bytes went out since the last time it was asked, and starts over (a new slow connection).
     */
    public static void main(String[] args) throws Exception {
        java.nio.file.Path file = java.nio.file.Path.of(args[0]);
        Content content = Content.of(file);
        TestOrigin origin = new TestOrigin(Integer.parseInt(args[1]));
        long rate = args.length > 2 ? Long.parseLong(args[2]) : 0;
        long slowRate = args.length > 3 ? Long.parseLong(args[3]) : 0;
        String etag = "\"" + Long.toHexString(content.length()) + "-"
                + Long.toHexString(java.nio.file.Files.getLastModifiedTime(file).toMillis()) + "\"";
        origin.benchFile = origin.serve("/file.bin", content, etag).throttled(rate).slowFirstConnection(slowRate);
        System.out.println("origin serving " + content.length() + " bytes at " + origin.url("/file.bin"));
        Thread.currentThread().join();
    }

    private volatile Served benchFile;

    /** The benchmark's timeline: milliseconds from the first body byte to the last, and of those the last 5 %. */
    private void answerTimeline(HttpExchange exchange) throws IOException {
        Served file = benchFile;
        long first = file.firstByteNanos.get();
        long last = file.lastByteNanos.get();
        long at95 = file.nanosAt95.get();
        String text = "firstToLastMs=" + (last - first) / 1_000_000 + " last5PercentMs=" + (last - at95) / 1_000_000
                + " bytesSent=" + file.bytesSent.get() + " slowConnectionBytes=" + file.slowConnectionBytesSent.get()
                + "\n";
        file.firstByteNanos.set(0);
        file.lastByteNanos.set(0);
        file.nanosAt95.set(0);
        file.bytesSent.set(0);
        file.slowConnectionBytesSent.set(0);
        file.slowPeer.set(null);
        send(exchange, 200, text.getBytes());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, List<String>> requestHeaders = new java.util.TreeMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> requestHeaders.put(
                    name.toLowerCase(java.util.Locale.ROOT), List.copyOf(values)));
            Seen request = new Seen(exchange.getRequestMethod(), exchange.getRequestURI().toString(), requestHeaders,
                    System.currentTimeMillis());
            seen.add(request);
            TokenEndpoint tokens = tokenEndpoints.get(exchange.getRequestURI().getPath());
            if (tokens != null && exchange.getRequestMethod().equals("POST")) {
                exchange.getRequestBody().readAllBytes();
                tokens.current = "token-" + tokens.issued.incrementAndGet();
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                send(exchange, 200, ("{\"access_token\": \"" + tokens.current + "\", \"token_type\": \"Bearer\","
                        + " \"expires_in\": " + tokens.expiresIn + "}").getBytes());
                return;
            }
            if (benchFile != null && exchange.getRequestURI().getPath().equals("/timeline")) {
                answerTimeline(exchange);
                return;
            }
            Served served = files.get(exchange.getRequestURI().getPath());
            if (served == null) {
                send(exchange, 404, new byte[0]);
                return;
            }
            var headers = exchange.getResponseHeaders();
            served.extraHeaders.forEach(headers::set);
            if (served.authorized != null && !served.authorized.test(request)) {
                send(exchange, served.refusal, "credentials, please".getBytes());
                return;
            }
            if (served.redirectLocation != null) {
                headers.set("Location", served.redirectLocation);
                send(exchange, served.redirectStatus, new byte[0]);
                return;
            }
            if (served.status != 0) {
                send(exchange, served.status, ("status " + served.status).getBytes());
                return;
            }
            boolean get = exchange.getRequestMethod().equals("GET");
            if (get && served.getsBeforeChange.getAndDecrement() == 0) {
                served.content = served.changedContent;
                served.etag = served.etag == null ? null : served.changedEtag;
                served.lastModified = "Thu, 22 Oct 2026 09:00:00 GMT";
            }
            Content content = served.content;
            if (served.etag != null) {
                headers.set("ETag", served.etag);
            }
            headers.set("Last-Modified", served.lastModified);
            headers.set("Accept-Ranges", "bytes");
            if (exchange.getRequestMethod().equals("HEAD")) {
                if (served.refuseHead) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                headers.set("Content-Length", Long.toString(content.length()));
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            String range = exchange.getRequestHeaders().getFirst("Range");
            served.getTimes.add(System.currentTimeMillis());
            served.concurrencyAtGet.add(served.concurrentGets.incrementAndGet());
            served.gets.add(range == null ? "" : range);
            // numbered as they arrive: the list's size may already count GETs that arrived after this one. A GET's
            // action (onGet) runs before the next GET is numbered, so a later GET never overtakes what it set up
            synchronized (served.getActions) {
                Runnable action = served.getActions.remove(served.getsArrived.incrementAndGet());
                if (action != null) {
                    action.run();
                }
            }
            mostConcurrentGets.accumulateAndGet(concurrentGets.incrementAndGet(), Math::max);
            AtomicBoolean answering = new AtomicBoolean(true);
            // a GET stops counting before its last bytes go out: the client cannot reuse the connection for the
            // next request before that, so the count never includes a request that has in truth ended
            Runnable answered = () -> {
                if (answering.getAndSet(false)) {
                    concurrentGets.decrementAndGet();
                    served.concurrentGets.decrementAndGet();
                }
            };
            try {
                answerGet(exchange, served, content, range, answered);
            } finally {
                answered.run();
            }
        } catch (IOException e) {
            // the dropped connection of a fault, or a client that went away
        }
    }

    private void answerGet(HttpExchange exchange, Served served, Content content, String range, Runnable answered)
            throws IOException {
        var headers = exchange.getResponseHeaders();
        try {
            if (served.failuresLeft.getAndDecrement() > 0) {
                headers.set("Retry-After", served.failureRetryAfter);
                send(exchange, served.failureStatus, "try again".getBytes());
                return;
            }
            String ifRange = exchange.getRequestHeaders().getFirst("If-Range");
            boolean sameVersion = ifRange == null || served.ignoreIfRange || ifRange.equals(served.etag)
                    || ifRange.equals(served.lastModified);
            long start = 0;
            long end = content.length() - 1;
            boolean partial = false;
            Matcher m = range == null ? null : RANGE.matcher(range);
            if (m != null && m.matches() && !served.ignoreRange && sameVersion) {
                start = Long.parseLong(m.group(1));
                end = m.group(2).isEmpty() ? end : Math.min(end, Long.parseLong(m.group(2)));
                if (start > end) {
                    headers.set("Content-Range", "bytes */" + content.length());
                    send(exchange, 416, new byte[0]);
                    return;
                }
                partial = true;
                headers.set("Content-Range", "bytes " + start + "-" + end + "/" + content.length());
            }
            long length = end - start + 1;
            (partial ? served.partialResponses : served.fullResponses).incrementAndGet();
            exchange.sendResponseHeaders(partial ? 206 : 200, length);
            OutputStream body = exchange.getResponseBody();
            if (served.resetsLeft.getAndDecrement() > 0 && length > 1) {
                for (long at = start; at < start + length / 2; at += 1 << 20) {
                    content.writeTo(body, at, (int) Math.min(1 << 20, start + length / 2 - at));
                }
                body.flush();
                // closing short of the promised length makes the server drop the connection mid-body
                return;
            }
            if (served.stallsLeft.getAndDecrement() > 0) {
                // not counted while it stalls: the client gives up on it, and this thread may hold it for ever
                answered.run();
                stall(body, content, start, length, served.stallBytesPerSecond);
                return;
            }
            if (served.slowConnectionBytesPerSecond > 0) {
                served.slowPeer.compareAndSet(null, exchange.getRemoteAddress());
            }
            boolean slow = exchange.getRemoteAddress().equals(served.slowPeer.get());
            long rate = slow ? served.slowConnectionBytesPerSecond : served.bytesPerSecond;
            int slice = rate > 0 ? (int) Math.max(1024, Math.min(16 * 1024, rate / 16)) : 1 << 20;
            long begun = System.nanoTime();
            for (long at = start; at <= end; at += slice) {
                int n = (int) Math.min(slice, end + 1 - at);
                if (at + n > end) {
                    answered.run();
                }
                content.writeTo(body, at, n);
                body.flush();
                long sent = served.bytesSent.addAndGet(n);
                long now = System.nanoTime();
                served.firstByteNanos.compareAndSet(0, now);
                served.lastByteNanos.accumulateAndGet(now, Math::max);
                if (sent >= content.length() * 0.95) {
                    served.nanosAt95.compareAndSet(0, now);
                }
                if (slow) {
                    served.slowConnectionBytesSent.addAndGet(n);
                }
                if (rate > 0) {
                    // paced against the start, so rounding never adds up: the rate is the rate asked for
                    long due = begun + (at + n - start) * 1_000_000_000L / rate;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the dropped connection of a fault, or a client that went away
        }
    }

    /**
     * Drips the body in 256-byte pieces at {@code bytesPerSecond}, or holds the connection silent until the origin is
     * closed: without a silence limit the client would wait for ever.
     */
    private static void stall(OutputStream body, Content content, long start, long length, long bytesPerSecond)
            throws IOException, InterruptedException {
        body.flush();
        if (bytesPerSecond == 0) {
            Thread.sleep(Long.MAX_VALUE);
        }
        for (long at = start; at < start + length; at += 256) {
            content.writeTo(body, at, (int) Math.min(256, start + length - at));
            body.flush();
            Thread.sleep(256_000 / bytesPerSecond);
        }
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }
}
