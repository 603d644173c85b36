package dev.downloader.plan;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLongArray;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The done-map of one download: which chunks are done, how many bytes of each chunk are already at their offsets,
 * and which chunk a free connection takes next. Plain bookkeeping shared by the connections (lanes) of a download,
 * as aria2's segment manager is; it knows nothing of HTTP or files.
 */
@RegisterForReflection
public final class ChunkLedger {

    private final List<Chunk> chunks;
    private final BitSet done;
    private final AtomicLongArray received;
    private int cursor;
    private Throwable failure;

    public ChunkLedger(List<Chunk> chunks, BitSet alreadyDone) {
        this.chunks = List.copyOf(chunks);
        this.done = (BitSet) alreadyDone.clone();
        this.received = new AtomicLongArray(chunks.size());
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

    /** Records the first failure; later ones are consequences of it. Stops handing out chunks. */
    public synchronized void fail(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
    }

    public synchronized Throwable failure() {
        return failure;
    }

    /**
     * One iterator per connection, at most one per pending chunk. Each lane takes the next pending chunk when its
     * previous one is finished, so a slow or retried chunk holds up only its own connection.
     */
    public List<Iterator<Chunk>> lanes(int connections) {
        int pending = chunks.size() - doneCount();
        int count = Math.max(1, Math.min(connections, pending));
        List<Iterator<Chunk>> lanes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            lanes.add(new Lane());
        }
        return lanes;
    }

    /** Used by one thread at a time: the split that walks it. */
    private final class Lane implements Iterator<Chunk> {
        private Chunk next;

        @Override
        public boolean hasNext() {
            if (next == null) {
                next = claimNext();
            }
            return next != null;
        }

        @Override
        public Chunk next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Chunk chunk = next;
            next = null;
            return chunk;
        }
    }
}
