package dev.downloader.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class ChunkPlannerTest {

    private final ChunkPlanner planner = new ChunkPlanner(10_000);

    @Test
    void coversEveryByteOnceWithAShorterLastChunk() {
        List<Chunk> chunks = planner.plan(1000, 300);
        assertEquals(List.of(new Chunk(0, 0, 299), new Chunk(1, 300, 599), new Chunk(2, 600, 899),
                new Chunk(3, 900, 999)), chunks);
    }

    @Test
    void anExactMultipleHasNoEmptyTail() {
        List<Chunk> chunks = planner.plan(900, 300);
        assertEquals(3, chunks.size());
        assertEquals(899, chunks.get(2).end());
    }

    @Test
    void aFileSmallerThanOneChunkIsOneChunk() {
        assertEquals(List.of(new Chunk(0, 0, 0)), planner.plan(1, 8 << 20));
    }

    @Test
    void chunksGrowRatherThanExceedTheMaximumCount() {
        List<Chunk> chunks = new ChunkPlanner(4).plan(1000, 10);
        assertEquals(4, chunks.size());
        assertEquals(250, chunks.get(0).length());
        assertEquals(999, chunks.get(3).end());
    }

    @Test
    void aHugeFileStaysWithinTheCount() {
        long size = 5L * 1024 * 1024 * 1024 * 1024; // 5 TiB
        List<Chunk> chunks = planner.plan(size, 1 << 20);
        assertEquals(10_000, chunks.size());
        assertEquals(size - 1, chunks.get(chunks.size() - 1).end());
        long covered = chunks.stream().mapToLong(Chunk::length).sum();
        assertEquals(size, covered);
    }

    @Test
    void singleStreamOfUnknownLengthReadsToTheEnd() {
        Chunk only = planner.singleStream(null).get(0);
        assertEquals(Chunk.UNKNOWN_END, only.end());
        assertEquals(false, only.lengthKnown());
        assertEquals(new Chunk(0, 0, 41), planner.singleStream(42L).get(0));
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> planner.plan(0, 10));
        assertThrows(IllegalArgumentException.class, () -> planner.plan(10, 0));
    }

    @Test
    void everyAskedConnectionGetsEightChunksInTurnWhenTheFileIsSmall() {
        long mib = 1 << 20;
        assertEquals(mib, ChunkPlanner.defaultChunkSize(256 * mib, 8 * mib, 32, 64 << 10));
        assertEquals(256, planner.plan(256 * mib, ChunkPlanner.defaultChunkSize(256 * mib, 8 * mib, 32, 64 << 10)).size());
        assertEquals(2 * mib, ChunkPlanner.defaultChunkSize(256 * mib, 8 * mib, 16, 64 << 10));
        assertEquals(4 * mib, ChunkPlanner.defaultChunkSize(256 * mib, 8 * mib, 8, 64 << 10));
        assertEquals(8 * mib, ChunkPlanner.defaultChunkSize(512 * mib, 8 * mib, 8, 64 << 10));
    }

    @Test
    void wavesNeverCutChunksBelowOneMebibyte() {
        long mib = 1 << 20;
        // 4 MiB per connection (64 connections on 256 MiB): four waves of 1 MiB, not eight of 512 KiB
        assertEquals(mib, ChunkPlanner.defaultChunkSize(256 * mib, 8 * mib, 64, 64 << 10));
        // 2 MiB per connection: two waves of 1 MiB
        assertEquals(mib, ChunkPlanner.defaultChunkSize(16 * mib, 8 * mib, 8, 64 << 10));
        // 1.25 MiB per connection: one chunk each
        assertEquals(1_310_720, ChunkPlanner.defaultChunkSize(10 * mib, 8 * mib, 8, 64 << 10));
        // a min-chunk-size above the floor is the floor
        assertEquals(4 * mib, ChunkPlanner.defaultChunkSize(64 * mib, 8 * mib, 8, 4 * mib));
    }

    @Test
    void theDefaultChunkSizeStaysForBigFilesAndTheMinimumForTinyOnes() {
        long mib = 1 << 20;
        assertEquals(8 * mib, ChunkPlanner.defaultChunkSize(1024 * mib, 8 * mib, 8, 64 << 10));
        assertEquals(64 << 10, ChunkPlanner.defaultChunkSize(100_000, 8 * mib, 16, 64 << 10));
        assertEquals(8 * mib, ChunkPlanner.defaultChunkSize(256 * mib, 8 * mib, 0, 64 << 10));
    }
}
