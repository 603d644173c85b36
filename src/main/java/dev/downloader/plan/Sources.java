package dev.downloader.plan;

import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Where a download's ranges may come from: the origin, and the request's mirrors that showed the same file. Plain
 * bookkeeping: which source a request goes to next (in turn, skipping those that may not be called now), which
 * mirrors were dropped and why, and how many bytes each one gave. The origin is never dropped.
 */
@RegisterForReflection
public final class Sources {

    /** One place the file can be fetched from, with what its probe said. */
    @RegisterForReflection
    public static final class Source {
        private final URI url;
        private final ProbeResult probe;
        private final boolean mirror;
        private final AtomicLong bytes = new AtomicLong();
        private volatile String dropped;

        Source(URI url, ProbeResult probe, boolean mirror) {
            this.url = url;
            this.probe = probe;
            this.mirror = mirror;
        }

        public URI url() {
            return url;
        }

        public ProbeResult probe() {
            return probe;
        }

        public boolean mirror() {
            return mirror;
        }

        public long bytes() {
            return bytes.get();
        }

        public void received(long count) {
            bytes.addAndGet(count);
        }

        /** Why the mirror was dropped for this download; null while it serves. */
        public String dropped() {
            return dropped;
        }
    }

    private final List<Source> all = new CopyOnWriteArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();

    public Sources(URI origin, ProbeResult probe) {
        all.add(new Source(origin, probe, false));
    }

    public Source origin() {
        return all.get(0);
    }

    /** Every source, the origin first, the dropped mirrors included. */
    public List<Source> all() {
        return List.copyOf(all);
    }

    /**
     * Why a mirror cannot serve the origin's file, or null when it can: the same size, and the same strong ETag; or,
     * where either has none, the same Last-Modified. A mirror that says nothing either way is not trusted.
     */
    public static String differs(ProbeResult origin, ProbeResult mirror) {
        if (!mirror.rangedPlanPossible()) {
            return "it does not serve ranges of a known length";
        }
        if (!Objects.equals(origin.size(), mirror.size())) {
            return "its file is " + mirror.size() + " bytes, the origin's " + origin.size();
        }
        if (origin.strongEtag() != null && mirror.strongEtag() != null) {
            return origin.strongEtag().equals(mirror.strongEtag()) ? null
                    : "its ETag is " + mirror.strongEtag() + ", the origin's " + origin.strongEtag();
        }
        if (origin.lastModified() != null && mirror.lastModified() != null) {
            return origin.lastModified().equals(mirror.lastModified()) ? null
                    : "its Last-Modified is " + mirror.lastModified() + ", the origin's " + origin.lastModified();
        }
        return "it and the origin share no validator (ETag or Last-Modified) to show it is the same file";
    }

    /** A mirror that showed the same file serves from now on. */
    public void addMirror(URI url, ProbeResult probe) {
        all.add(new Source(url, probe, true));
    }

    /** A mirror left out at its probe (it differs, failed or could not be asked): listed, never called. */
    public void leaveOut(URI url, String reason) {
        Source source = new Source(url, null, true);
        source.dropped = reason;
        all.add(source);
    }

    /** A mirror that failed or differed serves no more for this download. */
    public void drop(Source source, String reason) {
        if (source.mirror && source.dropped == null) {
            source.dropped = reason;
        }
    }

    /**
     * The next source in turn that serves and that {@code callable} lets through (its host's circuit is closed, say);
     * null when none.
     */
    public Source next(Predicate<Source> callable) {
        int count = all.size();
        int start = Math.floorMod(turn.getAndIncrement(), count);
        for (int i = 0; i < count; i++) {
            Source source = all.get((start + i) % count);
            if (source.dropped == null && callable.test(source)) {
                return source;
            }
        }
        return null;
    }
}
