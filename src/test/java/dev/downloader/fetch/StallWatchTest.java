package dev.downloader.fetch;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class StallWatchTest {

    private final AtomicLong now = new AtomicLong(1_000);

    @Test
    void aBodyAboveTheFloorIsNeverStopped() {
        StallWatch watch = new StallWatch(10_240, 30_000, now::get);
        for (int i = 0; i < 100; i++) {
            now.addAndGet(1_000);
            assertDoesNotThrow(() -> watch.arrived(10_240));
        }
    }

    @Test
    void aDripBelowTheFloorIsStoppedWhenItsWindowCloses() {
        StallWatch watch = new StallWatch(10_240, 30_000, now::get);
        for (int i = 0; i < 29; i++) {
            now.addAndGet(1_000);
            watch.arrived(1_024);
        }
        now.addAndGet(1_000);
        StalledRange stalled = assertThrows(StalledRange.class, () -> watch.arrived(1_024));
        assertTrue(stalled.getMessage().contains("30720 bytes in 30000 ms"), stalled.getMessage());
    }

    @Test
    void aFastStartDoesNotHideALaterStall() {
        StallWatch watch = new StallWatch(10_240, 10_000, now::get);
        now.addAndGet(10_000);
        watch.arrived(10_000_000);
        now.addAndGet(10_000);
        assertThrows(StalledRange.class, () -> watch.arrived(1));
    }

    @Test
    void aFloorOfZeroWatchesNothing() {
        StallWatch watch = new StallWatch(0, 1, now::get);
        now.addAndGet(60_000);
        assertDoesNotThrow(() -> watch.arrived(0));
    }
}
