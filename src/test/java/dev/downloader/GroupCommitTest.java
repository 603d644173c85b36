package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class GroupCommitTest {

    private static final int THREADS = 8;
    private static final int CALLS_EACH = 40;

    /**
     * Each caller commits (a number goes up), then flushes; the flush makes durable what was committed when it began.
     * Whoever returns must find its commit durable, however the calls interleave, and calls that overlap share flushes.
     */
    @Test
    void everyCallerReturnsAfterAFlushThatBeganAfterItsCommit() throws Exception {
        AtomicLong committed = new AtomicLong();
        AtomicLong durable = new AtomicLong();
        AtomicInteger flushes = new AtomicInteger();
        GroupCommit<String, SQLException> group = new GroupCommit<>(asked -> {
            long upTo = committed.get();
            flushes.incrementAndGet();
            sleep(3);
            durable.accumulateAndGet(upTo, Math::max);
        });
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> callers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            callers.add(pool.submit(() -> {
                start.await();
                int late = 0;
                for (int i = 0; i < CALLS_EACH; i++) {
                    long mine = committed.incrementAndGet();
                    group.commit("database");
                    if (durable.get() < mine) {
                        late++;
                    }
                }
                return late;
            }));
        }
        start.countDown();
        for (Future<Integer> caller : callers) {
            assertEquals(0, caller.get(60, TimeUnit.SECONDS), "calls that returned before their commit was flushed");
        }
        pool.shutdown();
        int calls = THREADS * CALLS_EACH;
        assertTrue(flushes.get() < calls, flushes.get() + " flushes for " + calls + " overlapping calls");
    }

    /** What each call asked for is in the commit that serves it, and no commit is given the same thing twice. */
    @Test
    void everyCallerFindsWhatItAskedForCommitted() throws Exception {
        Set<String> synced = ConcurrentHashMap.newKeySet();
        AtomicInteger twice = new AtomicInteger();
        GroupCommit<String, IOException> group = new GroupCommit<>(asked -> {
            sleep(2);
            for (String directory : asked) {
                if (!synced.add(directory)) {
                    twice.incrementAndGet();
                }
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> callers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            callers.add(pool.submit(() -> {
                start.await();
                int missing = 0;
                for (int i = 0; i < CALLS_EACH; i++) {
                    String mine = thread + "/" + i;
                    group.commit(mine);
                    if (!synced.contains(mine)) {
                        missing++;
                    }
                }
                return missing;
            }));
        }
        start.countDown();
        for (Future<Integer> caller : callers) {
            assertEquals(0, caller.get(60, TimeUnit.SECONDS), "calls that returned before what they asked was committed");
        }
        pool.shutdown();
        assertEquals(THREADS * CALLS_EACH, synced.size());
        assertEquals(0, twice.get(), "items committed more than once");
    }

    @Test
    void aFailedCommitFailsItsCallerAndTheNextCommitTakesWhatItWasAsked() throws Exception {
        List<Set<String>> runs = new ArrayList<>();
        GroupCommit<String, SQLException> group = new GroupCommit<>(asked -> {
            runs.add(Set.copyOf(asked));
            if (runs.size() == 1) {
                throw new SQLException("disk away");
            }
        });
        assertThrows(SQLException.class, () -> group.commit("raw"));
        group.commit("meta");
        assertEquals(List.of(Set.of("raw"), Set.of("raw", "meta")), runs);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
