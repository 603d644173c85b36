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
        ChunkLedger ledger = new ChunkLedger(plan, received);
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
        assertEquals(2, new ChunkLedger(plan, received).lanes(8).size());
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
        ChunkLedger ledger = new ChunkLedger(plan, received);
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
        ChunkLedger ledger = new ChunkLedger(plan, received);
        assertEquals(Map.of(), ledger.unsavedProgress());
        ledger.addReceived(2, 10);
        ledger.addReceived(5, 30);
        var progress = ledger.unsavedProgress();
        assertEquals(Map.of(2, 60L, 5, 30L), progress);
        ledger.addReceived(5, 5);
        ledger.progressSaved(progress);
        assertEquals(Map.of(5, 35L), ledger.unsavedProgress());
    }

    @Test
    void progressThatCannotBeThisPlansIsRefused() {
        long[] tooMuch = new long[10];
        tooMuch[0] = 101;
        assertThrows(IllegalArgumentException.class, () -> new ChunkLedger(plan, tooMuch));
        assertThrows(IllegalArgumentException.class,
                () -> new ChunkLedger(plan, new long[3]));
    }
}
