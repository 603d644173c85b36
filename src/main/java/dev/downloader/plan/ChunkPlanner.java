package dev.downloader.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a file into byte ranges. Pure: the same size and chunk size always give the same plan, which is what lets a
 * persisted plan be matched again after a restart.
 */
public final class ChunkPlanner {

    /** Chunks a connection is given in turn when the file is too small for default-sized chunks. */
    static final int WAVES = 8;
    /** A chunk this size is read back and hashed in under a millisecond here: cutting finer would only add requests. */
    static final long WAVE_FLOOR = 1 << 20;

    private final int maxChunks;

    public ChunkPlanner(int maxChunks) {
        if (maxChunks < 1) {
            throw new IllegalArgumentException("maxChunks must be at least 1");
        }
        this.maxChunks = maxChunks;
    }

    /**
     * Ranges of {@code chunkSize} bytes covering {@code size} bytes; the chunk size grows when the file would otherwise
     * need more than {@code maxChunks} ranges, so a huge file never turns into millions of rows and messages.
     */
    public List<Chunk> plan(long size, long chunkSize) {
        if (size <= 0) {
            throw new IllegalArgumentException("a ranged plan needs a positive size, got " + size);
        }
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunk size must be positive, got " + chunkSize);
        }
        long effective = Math.max(chunkSize, ceilDiv(size, maxChunks));
        int count = (int) ceilDiv(size, effective);
        List<Chunk> chunks = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long start = i * effective;
            chunks.add(new Chunk(i, start, Math.min(size, start + effective) - 1));
        }
        return chunks;
    }

    /**
     * The chunk size for a request that did not ask for one: the default, or less when the file is too small to give
     * every connection {@value #WAVES} chunks of that size (never under {@code minChunkSize}, and never cut below
     * {@value #WAVE_FLOOR} bytes just to make waves). Several chunks per connection matter because the digest hashes
     * in flight only the chunk that continues the hashed prefix and reads the rest back: with one chunk per connection
     * every chunk ends at once and nearly the whole file is read back after its last byte (0.2 s per 256 MiB here),
     * while with waves each wave is read back as the next one arrives. The last wave's read-back still comes after the
     * last byte, so eight waves halve it against four (32 connections on 256 MiB: 4 % faster with 1 MiB ranges than
     * with 2 MiB). 64 connections on 256 MiB fetch 256 ranges of 1 MiB, not 32 ranges of 8 MiB with half the
     * connections idle.
     */
    public static long defaultChunkSize(long size, long defaultChunkSize, int connections, long minChunkSize) {
        long perConnection = ceilDiv(size, Math.max(1, connections));
        long waves = Math.max(1, Math.min(WAVES, perConnection / Math.max(minChunkSize, WAVE_FLOOR)));
        return Math.max(minChunkSize, Math.min(defaultChunkSize, ceilDiv(perConnection, waves)));
    }

    /** One range for the whole stream: the plan when the origin cannot serve ranges or did not give a length. */
    public List<Chunk> singleStream(Long size) {
        long end = size == null ? Chunk.UNKNOWN_END : size - 1;
        return List.of(new Chunk(0, 0, end));
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
