package dev.downloader.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class GroupFlushTest {

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
        GroupFlush group = new GroupFlush(() -> {
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
                    group.flush();
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

    @Test
    void aFailedFlushFailsItsCallerAndTheNextCallFlushesAgain() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        GroupFlush group = new GroupFlush(() -> {
            if (runs.incrementAndGet() == 1) {
                throw new SQLException("disk away");
            }
        });
        assertThrows(SQLException.class, group::flush);
        group.flush();
        assertEquals(2, runs.get());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
