package dev.downloader.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The done-map of one download: which chunks are done, how many bytes of each chunk are already at their offsets,
 * and which chunk a free connection takes next. Plain bookkeeping shared by the connections (lanes) of a download,
 * as aria2's segment manager is; it knows nothing of HTTP or files. The bytes received per chunk are contiguous from
 * the chunk's start, so a retry, or a restart after a crash, fetches only the rest of it.
 * <p>
 * At the tail, when no chunk is left to take, an idle lane helps a busy one as the {@link TailPolicy} says: the busy
 * chunk ends earlier and the rest of its bytes become a new chunk, appended to the plan. A lane's writer reserves
 * each buffer it read before writing it ({@link #admit}), so a chunk never shrinks under bytes being written.
 */
@RegisterForReflection
public final class ChunkLedger {

    private final List<Chunk> chunks;
    private final TreeMap<Long, Integer> byStart = new TreeMap<>();
    private final BitSet done = new BitSet();
    private final BitSet inFlight = new BitSet();
    /** In-flight chunks whose bytes have begun to arrive: their rate is measured from then. */
    private final BitSet flowing = new BitSet();
    /** Chunks made or shrunk by the tail since the plan was last saved. */
    private final BitSet reshaped = new BitSet();
    private final TailPolicy tail;
    private final LongSupplier nanoClock;
    private long[] received;
    private long[] saved;
    /** The first offset past what the chunk's writer was allowed to write: the tail cuts nowhere below it. */
    private long[] reserved;
    private long[] takenAtNanos;
    private long[] receivedWhenTaken;
    /** Bytes per second of the ranges done lately (a moving average): what a fresh connection may reach. */
    private double doneRate = Double.NaN;
    private int cursor;
    private Throwable failure;

    /** A plan with nothing received yet, fetched without tail help. */
    public ChunkLedger(List<Chunk> chunks) {
        this(chunks, new long[chunks.size()], TailPolicy.NONE, System::nanoTime);
    }

    /**
     * A plan resumed from saved progress: {@code received[i]} bytes of chunk i are already at their offsets; a chunk
     * received whole is done. Chunk i of the list must have index i.
     */
    public ChunkLedger(List<Chunk> chunks, long[] received, TailPolicy tail, LongSupplier nanoClock) {
        if (received.length != chunks.size()) {
            throw new IllegalArgumentException(received.length + " progress entries for " + chunks.size() + " chunks");
        }
        this.chunks = new ArrayList<>(chunks);
        this.tail = tail;
        this.nanoClock = nanoClock;
        this.received = received.clone();
        this.saved = received.clone();
        this.reserved = new long[received.length];
        this.takenAtNanos = new long[received.length];
        this.receivedWhenTaken = new long[received.length];
        for (int i = 0; i < received.length; i++) {
            Chunk chunk = this.chunks.get(i);
            if (chunk.index() != i) {
                throw new IllegalArgumentException("chunk " + chunk.index() + " listed at " + i);
            }
            if (received[i] < 0 || (chunk.lengthKnown() && received[i] > chunk.length())) {
                throw new IllegalArgumentException("chunk " + i + " cannot have received " + received[i] + " bytes");
            }
            if (chunk.lengthKnown() && received[i] == chunk.length()) {
                done.set(i);
            }
            reserved[i] = chunk.start() + received[i];
            byStart.put(chunk.start(), i);
        }
    }

    public synchronized List<Chunk> chunks() {
        return List.copyOf(chunks);
    }

    /** The chunk as it is now: the tail may have shortened it since it was handed out. */
    public synchronized Chunk chunk(int index) {
        return chunks.get(index);
    }

    public synchronized int size() {
        return chunks.size();
    }

    /**
     * The next chunk nobody has taken; at the tail, a piece of a busy chunk the policy says to share; else null (none
     * left, the download failed, or nothing is worth sharing yet: the caller then waits a little, see
     * {@link #lanes}).
     */
    public synchronized Chunk claimNext() {
        if (failure != null) {
            return null;
        }
        while (cursor < chunks.size() && (done.get(cursor) || inFlight.get(cursor))) {
            cursor++;
        }
        if (cursor < chunks.size()) {
            return take(cursor++);
        }
        return shareBusiest();
    }

    private Chunk take(int index) {
        inFlight.set(index);
        flowing.clear(index);
        takenAtNanos[index] = nanoClock.getAsLong();
        receivedWhenTaken[index] = received[index];
        return chunks.get(index);
    }

    /** The in-flight chunk that would take longest alone gives the rest of its bytes, or a share of them, to a new chunk. */
    private Chunk shareBusiest() {
        if (!tail.enabled()) {
            return null;
        }
        long now = nanoClock.getAsLong();
        int busiest = -1;
        double longest = -1;
        for (int i = inFlight.nextSetBit(0); i >= 0; i = inFlight.nextSetBit(i + 1)) {
            double timeLeft = unreserved(i) / Math.max(rate(i, now), 1e-9);
            if (unreserved(i) > 0 && timeLeft > longest) {
                longest = timeLeft;
                busiest = i;
            }
        }
        if (busiest < 0) {
            return null;
        }
        // what a helper may expect: the rates of the other busy ranges and of the ranges done lately
        double others = Double.isNaN(doneRate) ? 0 : doneRate;
        int measured = Double.isNaN(doneRate) ? 0 : 1;
        for (int i = inFlight.nextSetBit(0); i >= 0; i = inFlight.nextSetBit(i + 1)) {
            if (i != busiest && watchedMillis(i, now) >= tail.observeMillis()) {
                others += rate(i, now);
                measured++;
            }
        }
        long left = unreserved(busiest);
        long keep = tail.keep(left, rate(busiest, now), measured == 0 ? Double.NaN : others / measured,
                watchedMillis(busiest, now));
        Chunk victim = chunks.get(busiest);
        long splitAt = reserved[busiest] + (keep == TailPolicy.NO_SPLIT ? 0 : keep);
        if (keep == TailPolicy.NO_SPLIT || splitAt <= victim.start()) {
            return null;
        }
        int index = chunks.size();
        chunks.set(busiest, new Chunk(busiest, victim.start(), splitAt - 1));
        chunks.add(new Chunk(index, splitAt, victim.end()));
        byStart.put(splitAt, index);
        received = Arrays.copyOf(received, index + 1);
        saved = Arrays.copyOf(saved, index + 1);
        reserved = Arrays.copyOf(reserved, index + 1);
        takenAtNanos = Arrays.copyOf(takenAtNanos, index + 1);
        receivedWhenTaken = Arrays.copyOf(receivedWhenTaken, index + 1);
        reserved[index] = splitAt;
        reshaped.set(busiest);
        reshaped.set(index);
        return take(index);
    }

    private long unreserved(int index) {
        Chunk chunk = chunks.get(index);
        return chunk.lengthKnown() ? chunk.end() + 1 - reserved[index] : 0;
    }

    private double rate(int index, long now) {
        long millis = watchedMillis(index, now);
        return millis <= 0 ? 0 : (received[index] - receivedWhenTaken[index]) * 1000.0 / millis;
    }

    private long watchedMillis(int index, long now) {
        return (now - takenAtNanos[index]) / 1_000_000;
    }

    /**
     * The writer of chunk {@code index} read {@code read} bytes for {@code position}: how many of them it writes (fewer
     * once the chunk ends there, shortened by the tail). The tail never cuts below what was admitted.
     */
    public synchronized int admit(int index, long position, int read) {
        Chunk chunk = chunks.get(index);
        long admitted = chunk.lengthKnown() ? Math.max(0, Math.min(read, chunk.end() + 1 - position)) : read;
        if (!flowing.get(index)) {
            // the rate counts from the first bytes: waiting for a connection or a request slot is not slowness
            flowing.set(index);
            takenAtNanos[index] = nanoClock.getAsLong();
            receivedWhenTaken[index] = received[index];
        }
        reserved[index] = Math.max(reserved[index], position + admitted);
        return (int) admitted;
    }

    /** True while chunk {@code index} has bytes its lane has still to fetch. */
    public synchronized boolean hasBytesLeft(int index) {
        Chunk chunk = chunks.get(index);
        return !chunk.lengthKnown() || received[index] < chunk.length();
    }

    public synchronized void markDone(int index) {
        if (inFlight.get(index) && tail.enabled()) {
            long now = nanoClock.getAsLong();
            if (watchedMillis(index, now) > 0 && received[index] > receivedWhenTaken[index]) {
                double rate = rate(index, now);
                doneRate = Double.isNaN(doneRate) ? rate : (doneRate + rate) / 2;
            }
        }
        done.set(index);
        inFlight.clear(index);
        notifyAll();
    }

    public synchronized boolean isDone(int index) {
        return done.get(index);
    }

    /**
     * The done chunk that holds the byte at {@code offset} (a stream of unknown length holds every offset), or null:
     * the digest walks the file by offsets, not indexes.
     */
    public synchronized Chunk doneChunkHolding(long offset) {
        Map.Entry<Long, Integer> at = byStart.floorEntry(offset);
        if (at == null || !done.get(at.getValue())) {
            return null;
        }
        Chunk chunk = chunks.get(at.getValue());
        return !chunk.lengthKnown() || offset <= chunk.end() ? chunk : null;
    }

    public synchronized boolean allDone() {
        return done.cardinality() == chunks.size();
    }

    /** Chunks a lane is fetching now: the connections the download is using. */
    public synchronized int inFlightCount() {
        return inFlight.cardinality();
    }

    public synchronized int doneCount() {
        return done.cardinality();
    }

    public synchronized long received(int index) {
        return received[index];
    }

    public synchronized void addReceived(int index, long bytes) {
        received[index] += bytes;
    }

    public synchronized void resetReceived(int index) {
        received[index] = 0;
        reserved[index] = chunks.get(index).start();
    }

    /** Bytes received over all chunks. */
    public synchronized long receivedTotal() {
        long total = 0;
        for (long bytes : received) {
            total += bytes;
        }
        return total;
    }

    /**
     * The chunks whose received count changed since the last {@link #progressSaved}: chunk index to bytes received.
     * Taken before the file is synced, so every byte it counts is on disk once the sync returns.
     */
    public synchronized Map<Integer, Long> unsavedProgress() {
        Map<Integer, Long> changed = new LinkedHashMap<>();
        for (int i = 0; i < received.length; i++) {
            if (received[i] != saved[i] || reshaped.get(i)) {
                changed.put(i, received[i]);
            }
        }
        return changed;
    }

    /** The chunks the tail made or shortened since the last {@link #progressSaved}, as they are now. */
    public synchronized List<Chunk> unsavedShapes() {
        return reshaped.stream().mapToObj(chunks::get).toList();
    }

    /** The given progress and shapes are durable: later snapshots report only what changed after them. */
    public synchronized void progressSaved(Map<Integer, Long> progress, List<Chunk> shapes) {
        progress.forEach((index, bytes) -> saved[index] = bytes);
        shapes.forEach(chunk -> {
            if (chunks.get(chunk.index()).equals(chunk)) {
                reshaped.clear(chunk.index());
            }
        });
    }

    /** Records the first failure; later ones are consequences of it. Stops handing out chunks. */
    public synchronized void fail(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        notifyAll();
    }

    public synchronized Throwable failure() {
        return failure;
    }

    /**
     * True while the download has not failed and some chunk is neither done nor taken, or (with tail help) some taken
     * chunk still has bytes nobody has started to read: a lane may yet get a share of it.
     */
    public synchronized boolean hasUnclaimed() {
        if (failure != null) {
            return false;
        }
        for (int i = cursor; i < chunks.size(); i++) {
            if (!done.get(i) && !inFlight.get(i)) {
                return true;
            }
        }
        if (tail.enabled()) {
            for (int i = inFlight.nextSetBit(0); i >= 0; i = inFlight.nextSetBit(i + 1)) {
                if (unreserved(i) > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Waits up to {@code millis} for a chunk to end or the download to fail: a lane that found nothing to share yet
     * asks again after that, instead of spinning.
     */
    public synchronized void awaitChange(long millis) throws InterruptedException {
        if (failure == null && millis > 0) {
            wait(millis);
        }
    }

    /**
     * One iterator per connection, at most one per pending chunk. A lane yields turns (its lane number) while chunks
     * are unclaimed; the chunk itself is claimed when the turn is taken ({@link #claimNext()}), not when the iterator
     * is asked, so a lane never sits on a chunk another idle lane could fetch. A slow or retried chunk holds up only
     * its own connection, and at the tail, idle lanes help it. A turn may find nothing: another lane took the last
     * chunk, or nothing is worth sharing yet.
     */
    public List<Iterator<Integer>> lanes(int connections) {
        int pending = size() - doneCount();
        int count = Math.max(1, Math.min(connections, pending));
        List<Iterator<Integer>> lanes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int lane = i;
            lanes.add(new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return hasUnclaimed();
                }

                /**
                 * Always a turn, even when another lane took the last chunk since {@link #hasNext()} said yes (the
                 * splitter asks in two steps): that turn's {@link #claimNext()} then finds nothing.
                 */
                @Override
                public Integer next() {
                    return lane;
                }
            });
        }
        return lanes;
    }
}
