package dev.downloader.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a file into byte ranges. Pure: the same size and chunk size always give the same plan, which is what lets a
 * persisted plan be matched again after a restart.
 */
public final class ChunkPlanner {

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
     * every connection a chunk of that size (never under {@code minChunkSize}). 64 connections on 256 MiB then fetch
     * 64 ranges of 4 MiB, not 32 ranges of 8 MiB with half the connections idle.
     */
    public static long defaultChunkSize(long size, long defaultChunkSize, int connections, long minChunkSize) {
        return Math.max(minChunkSize, Math.min(defaultChunkSize, ceilDiv(size, Math.max(1, connections))));
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
