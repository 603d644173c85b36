package dev.downloader.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.apache.camel.LoggingLevel;
import org.apache.camel.spi.CamelLogger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;

/**
 * Two lanes log a retry at WARN at the same instant, in the one order that shows the race in Camel's logger: the first
 * has set the logger's level to WARN and is checking whether WARN is enabled when the second starts; the second then
 * checks, and goes on only once the first has logged and put the logger's old level (ERROR) back.
 */
class ErrorHandlerLogTest {

    @Test
    void eachLineIsLoggedAtTheLevelItWasLoggedWith() throws Exception {
        assertEquals(List.of("WARN first", "WARN second"), twoRetriesAtOnce(ErrorHandlerLog::new));
    }

    /** Why ErrorHandlerLog exists. When this fails, Camel's own logger no longer mixes levels and the class can go. */
    @Test
    void camelsOwnLoggerLogsTheSecondLineAtTheLevelTheFirstPutBack() throws Exception {
        assertEquals(List.of("WARN first", "ERROR second"),
                twoRetriesAtOnce(log -> new CamelLogger(log, LoggingLevel.ERROR)));
    }

    private static List<String> twoRetriesAtOnce(Function<Logger, CamelLogger> loggerOver) throws Exception {
        CountDownLatch firstChecking = new CountDownLatch(1);
        CountDownLatch secondChecking = new CountDownLatch(1);
        CountDownLatch firstLogged = new CountDownLatch(1);
        Thread[] lanes = new Thread[2];
        RecordingLogger recorder = new RecordingLogger(() -> {
            if (Thread.currentThread() == lanes[0]) {
                firstChecking.countDown();
                await(secondChecking);
            } else {
                secondChecking.countDown();
                await(firstLogged);
            }
        });
        CamelLogger logger = loggerOver.apply(recorder);
        lanes[0] = new Thread(() -> {
            logger.log("first", LoggingLevel.WARN);
            firstLogged.countDown();
        });
        lanes[1] = new Thread(() -> logger.log("second", LoggingLevel.WARN));
        lanes[0].start();
        await(firstChecking);
        lanes[1].start();
        for (Thread lane : lanes) {
            lane.join(TimeUnit.SECONDS.toMillis(10));
        }
        return List.copyOf(recorder.lines);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS), "the other lane never got there");
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Records "LEVEL message"; every level is enabled, and asking whether WARN is runs the given step first (the
     * Marker variants ask the plain ones).
     */
    private static final class RecordingLogger extends LegacyAbstractLogger {

        final Queue<String> lines = new ConcurrentLinkedQueue<>();
        private final transient Runnable onWarnCheck;

        RecordingLogger(Runnable onWarnCheck) {
            this.onWarnCheck = onWarnCheck;
            this.name = "recording";
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String messagePattern, Object[] arguments,
                Throwable throwable) {
            lines.add(level + " " + messagePattern);
        }

        @Override
        public boolean isWarnEnabled() {
            onWarnCheck.run();
            return true;
        }

        @Override
        public boolean isTraceEnabled() {
            return true;
        }

        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }
    }
}
