package dev.downloader.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class RequestWindowTest {

    private final AtomicLong now = new AtomicLong(10_000);
    private final RequestWindow window = new RequestWindow(3, 1000, now::get);

    @Test
    void theLimitHoldsOverEveryRollingWindow() {
        assertEquals(0, window.tryTake());
        now.addAndGet(400);
        assertEquals(0, window.tryTake());
        assertEquals(0, window.tryTake());
        assertEquals(600, window.tryTake(), "the fourth waits until the first is a second old");
        now.addAndGet(600);
        assertEquals(0, window.tryTake());
        assertEquals(400, window.tryTake(), "then until the second and third are");
    }

    @Test
    void aWaitThatWouldPassTheDeadlineGivesUp() throws Exception {
        for (int i = 0; i < 3; i++) {
            window.tryTake();
        }
        assertEquals(false, window.take(500));
    }
}
