package dev.downloader.plan;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The done-map of one download: which chunks are done, how many bytes of each chunk are already at their offsets,
 * and which chunk a free connection takes next. Plain bookkeeping shared by the connections (lanes) of a download,
 * as aria2's segment manager is; it knows nothing of HTTP or files. The bytes received per chunk are contiguous from
 * the chunk's start, so a retry, or a restart after a crash, fetches only the rest of it.
 */
@RegisterForReflection
public final class ChunkLedger {

    private final List<Chunk> chunks;
    private final BitSet done;
    private final AtomicLongArray received;
    private final long[] saved;
    private int cursor;
    private Throwable failure;

    /** A plan with nothing received yet. */
    public ChunkLedger(List<Chunk> chunks) {
        this(chunks, new long[chunks.size()]);
    }

    /**
     * A plan resumed from saved progress: {@code received[i]} bytes of chunk i are already at their offsets; a chunk
     * received whole is done.
     */
    public ChunkLedger(List<Chunk> chunks, long[] received) {
        if (received.length != chunks.size()) {
            throw new IllegalArgumentException(received.length + " progress entries for " + chunks.size() + " chunks");
        }
        this.chunks = List.copyOf(chunks);
        this.done = new BitSet(chunks.size());
        this.received = new AtomicLongArray(received);
        this.saved = received.clone();
        for (int i = 0; i < received.length; i++) {
            Chunk chunk = this.chunks.get(i);
            if (received[i] < 0 || (chunk.lengthKnown() && received[i] > chunk.length())) {
                throw new IllegalArgumentException("chunk " + i + " cannot have received " + received[i] + " bytes");
            }
            if (chunk.lengthKnown() && received[i] == chunk.length()) {
                done.set(i);
            }
        }
    }

    public List<Chunk> chunks() {
        return chunks;
    }

    public int size() {
        return chunks.size();
    }


    /** The next chunk nobody has taken, or null when none is left or the download has failed. */
    public synchronized Chunk claimNext() {
        if (failure != null) {
            return null;
        }
        while (cursor < chunks.size() && done.get(cursor)) {
            cursor++;
        }
        return cursor < chunks.size() ? chunks.get(cursor++) : null;
    }

    public synchronized void markDone(int index) {
        done.set(index);
    }

    public synchronized boolean isDone(int index) {
        return done.get(index);
    }

    public synchronized boolean allDone() {
        return done.cardinality() == chunks.size();
    }

    public synchronized int doneCount() {
        return done.cardinality();
    }

    public long received(int index) {
        return received.get(index);
    }

    public void addReceived(int index, long bytes) {
        received.addAndGet(index, bytes);
    }

    public void resetReceived(int index) {
        received.set(index, 0);
    }

    /** Bytes received over all chunks. */
    public long receivedTotal() {
        long total = 0;
        for (int i = 0; i < received.length(); i++) {
            total += received.get(i);
        }
        return total;
    }

    /**
     * The chunks whose received count changed since the last {@link #progressSaved}: chunk index to bytes received.
     * Taken before the file is synced, so every byte it counts is on disk once the sync returns.
     */
    public synchronized Map<Integer, Long> unsavedProgress() {
        Map<Integer, Long> changed = new LinkedHashMap<>();
        for (int i = 0; i < saved.length; i++) {
            long now = received.get(i);
            if (now != saved[i]) {
                changed.put(i, now);
            }
        }
        return changed;
    }

    /** The given progress is durable: later snapshots report only what changed after it. */
    public synchronized void progressSaved(Map<Integer, Long> progress) {
        progress.forEach((index, bytes) -> saved[index] = bytes);
    }

    /** Records the first failure; later ones are consequences of it. Stops handing out chunks. */
    public synchronized void fail(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
    }

    public synchronized Throwable failure() {
        return failure;
    }

    /** True while some chunk is neither done nor taken and the download has not failed. */
    public synchronized boolean hasUnclaimed() {
        if (failure != null) {
            return false;
        }
        for (int i = cursor; i < chunks.size(); i++) {
            if (!done.get(i)) {
                return true;
            }
        }
        return false;
    }

    /**
     * One iterator per connection, at most one per pending chunk. A lane yields turns (its lane number) while chunks
     * are unclaimed; the chunk itself is claimed when the turn is taken ({@link #claimNext()}), not when the iterator
     * is asked, so a lane never sits on a chunk another idle lane could fetch. A slow or retried chunk holds up only
     * its own connection. A turn may find nothing left: another lane took the last chunk.
     */
    public List<Iterator<Integer>> lanes(int connections) {
        int pending = chunks.size() - doneCount();
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
