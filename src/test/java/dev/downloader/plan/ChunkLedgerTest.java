package dev.downloader.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class ChunkLedgerTest {

    private final List<Chunk> plan = new ChunkPlanner(100).plan(1000, 100);

    @Test
    void handsOutEachChunkOnceInOrderSkippingDoneOnes() {
        long[] received = new long[10];
        received[1] = 100;
        received[3] = 100;
        received[4] = 40;
        ChunkLedger ledger = new ChunkLedger(plan, received, TailPolicy.NONE, System::nanoTime);
        assertEquals(0, ledger.claimNext().index());
        assertEquals(2, ledger.claimNext().index());
        assertEquals(4, ledger.claimNext().index());
        assertEquals(2, ledger.doneCount());
    }

    @Test
    void aTurnTakenAfterAnotherLaneClaimedTheLastChunkFindsNothingRatherThanThrowing() {
        ChunkLedger ledger = new ChunkLedger(new ChunkPlanner(100).plan(100, 50));
        var lanes = ledger.lanes(2);
        ledger.claimNext();
        assertTrue(lanes.get(0).hasNext());
        // between this lane's hasNext and next, the other lane takes the last chunk (the splitter asks in two steps)
        ledger.claimNext();
        assertEquals(0, lanes.get(0).next());
        assertNull(ledger.claimNext());
        assertFalse(lanes.get(0).hasNext());
    }

    @Test
    void lanesAreNoMoreThanPendingChunks() {
        long[] received = new long[10];
        java.util.Arrays.fill(received, 0, 8, 100);
        assertEquals(2, new ChunkLedger(plan, received, TailPolicy.NONE, System::nanoTime).lanes(8).size());
        assertEquals(4, new ChunkLedger(plan).lanes(4).size());
    }

    @Test
    void lanesShareTheChunksWithoutOverlap() throws Exception {
        ChunkLedger ledger = new ChunkLedger(plan);
        Set<Integer> fetched = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (var lane : ledger.lanes(4)) {
            pool.submit(() -> {
                while (lane.hasNext()) {
                    lane.next();
                    Chunk chunk = ledger.claimNext();
                    if (chunk != null) {
                        assertTrue(fetched.add(chunk.index()), "chunk " + chunk.index() + " handed out twice");
                        ledger.markDone(chunk.index());
                    }
                }
            });
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals(10, fetched.size());
        assertTrue(ledger.allDone());
    }

    @Test
    void askingALaneWhetherItHasMoreClaimsNothing() {
        ChunkLedger ledger = new ChunkLedger(plan);
        var lane = ledger.lanes(1).get(0);
        for (int i = 0; i < 5; i++) {
            assertTrue(lane.hasNext());
        }
        assertEquals(0, ledger.claimNext().index(), "looking ahead took no chunk");
    }

    @Test
    void theFirstFailureStopsTheHandingOutAndIsKept() {
        ChunkLedger ledger = new ChunkLedger(plan);
        ledger.claimNext();
        RuntimeException first = new RuntimeException("first");
        ledger.fail(first);
        ledger.fail(new RuntimeException("second"));
        assertNull(ledger.claimNext());
        assertFalse(ledger.hasUnclaimed());
        assertSame(first, ledger.failure());
    }

    @Test
    void receivedBytesAccumulatePerChunkAndReset() {
        ChunkLedger ledger = new ChunkLedger(plan);
        ledger.addReceived(3, 40);
        ledger.addReceived(3, 2);
        assertEquals(42, ledger.received(3));
        assertEquals(0, ledger.received(4));
        ledger.resetReceived(3);
        assertEquals(0, ledger.received(3));
    }

    @Test
    void aResumedChunkContinuesAfterItsSavedBytes() {
        long[] received = new long[10];
        received[0] = 100;
        received[1] = 37;
        ChunkLedger ledger = new ChunkLedger(plan, received, TailPolicy.NONE, System::nanoTime);
        assertTrue(ledger.isDone(0));
        assertFalse(ledger.isDone(1));
        assertEquals(37, ledger.received(1));
        assertEquals(137, ledger.receivedTotal());
        assertEquals(1, ledger.claimNext().index());
    }

    @Test
    void progressToSaveIsWhatChangedSinceTheLastSave() {
        long[] received = new long[10];
        received[2] = 50;
        ChunkLedger ledger = new ChunkLedger(plan, received, TailPolicy.NONE, System::nanoTime);
        assertEquals(Map.of(), ledger.unsavedProgress());
        ledger.addReceived(2, 10);
        ledger.addReceived(5, 30);
        var progress = ledger.unsavedProgress();
        assertEquals(Map.of(2, 60L, 5, 30L), progress);
        ledger.addReceived(5, 5);
        ledger.progressSaved(progress, List.of());
        assertEquals(Map.of(5, 35L), ledger.unsavedProgress());
    }

    @Test
    void progressThatCannotBeThisPlansIsRefused() {
        long[] tooMuch = new long[10];
        tooMuch[0] = 101;
        assertThrows(IllegalArgumentException.class, () -> new ChunkLedger(plan, tooMuch, TailPolicy.NONE, System::nanoTime));
        assertThrows(IllegalArgumentException.class,
                () -> new ChunkLedger(plan, new long[3], TailPolicy.NONE, System::nanoTime));
    }

    /** A 1000-byte file in two chunks, pieces of at least 50 bytes, judged after 100 ms, helped with 100 ms left. */
    private final java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
    private final TailPolicy tail = new TailPolicy(50, 4, 100, 100);

    private ChunkLedger withTail(List<Chunk> chunks) {
        return new ChunkLedger(chunks, new long[chunks.size()], tail, nanos::get);
    }

    private void advanceMillis(long millis) {
        nanos.addAndGet(millis * 1_000_000);
    }

    /** The writer of chunk {@code index} reads and writes {@code bytes} more, as the fetcher does. */
    private static void write(ChunkLedger ledger, int index, int bytes) {
        long at = ledger.chunk(index).start() + ledger.received(index);
        int allowed = ledger.admit(index, at, bytes);
        assertEquals(bytes, allowed);
        ledger.addReceived(index, allowed);
    }

    @Test
    void anIdleLaneTakesTheSlowRangesBytesLeftAndTheSlowWriterStopsWhereItsRangeNowEnds() {
        ChunkLedger ledger = withTail(new ChunkPlanner(10).plan(1000, 500));
        Chunk slow = ledger.claimNext();
        Chunk fast = ledger.claimNext();
        // rates count from the first bytes
        write(ledger, slow.index(), 10);
        write(ledger, fast.index(), 10);
        advanceMillis(200);
        write(ledger, fast.index(), 490);
        ledger.markDone(fast.index());
        write(ledger, slow.index(), 10);
        // 10 bytes in 200 ms against 490: the slow range's share would be under 50 bytes, so it gives up all it has left
        assertTrue(ledger.hasUnclaimed(), "a busy range can still be shared");
        Chunk rest = ledger.claimNext();
        assertEquals(new Chunk(2, 20, 499), rest);
        assertEquals(new Chunk(0, 0, 19), ledger.chunk(0));
        assertEquals(0, ledger.admit(0, 20, 64), "the slow writer writes no further");
        assertFalse(ledger.hasBytesLeft(0));
        assertEquals(List.of(new Chunk(0, 0, 19), new Chunk(2, 20, 499)), ledger.unsavedShapes());
        ledger.markDone(0);
        write(ledger, 2, 480);
        ledger.markDone(2);
        assertTrue(ledger.allDone());
        assertEquals(1000, ledger.receivedTotal());
        assertEquals(ledger.chunk(2), ledger.doneChunkHolding(20), "the digest finds the new piece by its offset");
    }

    @Test
    void rangesOfEqualSpeedAreShared_inHalvesOfWhatNobodyHasStartedToRead() {
        ChunkLedger ledger = withTail(new ChunkPlanner(10).plan(1000, 1000));
        Chunk only = ledger.claimNext();
        write(ledger, only.index(), 100);
        advanceMillis(1000);
        // 100 more bytes are being written: the split leaves them whole
        assertEquals(100, ledger.admit(0, 100, 100));
        Chunk half = ledger.claimNext();
        assertEquals(new Chunk(1, 600, 999), half);
        assertEquals(new Chunk(0, 0, 599), ledger.chunk(0));
    }

    @Test
    void nothingIsSharedBeforeTheRangeWasWatchedNorWhenItIsAboutToEnd() throws Exception {
        ChunkLedger ledger = withTail(new ChunkPlanner(10).plan(1000, 1000));
        ledger.claimNext();
        advanceMillis(50);
        assertNull(ledger.claimNext(), "not judged yet, and no other rate to expect");
        write(ledger, 0, 990);
        advanceMillis(100);
        assertNull(ledger.claimNext(), "10 bytes left at 6.6 bytes/ms: about to finish");
        assertTrue(ledger.hasUnclaimed(), "the lane asks again later");
        ledger.awaitChange(1);
        write(ledger, 0, 10);
        ledger.markDone(0);
        assertFalse(ledger.hasUnclaimed());
    }

    @Test
    void withoutTailHelpATakenRangeIsNeverShared() {
        ChunkLedger ledger = new ChunkLedger(new ChunkPlanner(10).plan(1000, 1000));
        ledger.claimNext();
        assertFalse(ledger.hasUnclaimed());
        assertNull(ledger.claimNext());
    }

    @Test
    void progressToSaveIncludesTheShapesTheTailMade() {
        ChunkLedger ledger = withTail(new ChunkPlanner(10).plan(1000, 1000));
        ledger.claimNext();
        write(ledger, 0, 50);
        advanceMillis(1000);
        write(ledger, 0, 50);
        Chunk piece = ledger.claimNext();
        var progress = ledger.unsavedProgress();
        var shapes = ledger.unsavedShapes();
        assertEquals(Map.of(0, 100L, 1, 0L), progress, "the new piece gets its row even with nothing received");
        ledger.progressSaved(progress, shapes);
        assertEquals(List.of(), ledger.unsavedShapes());
        assertEquals(Map.of(), ledger.unsavedProgress());
        assertEquals(2, ledger.size());
        assertEquals(1, piece.index());
    }
}
