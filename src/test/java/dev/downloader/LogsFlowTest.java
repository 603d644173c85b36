package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** What an operator reads in the log of a download's life: one line at its start, one at its end, no stack trace. */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class LogsFlowTest extends FlowSupport {

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** Every logger's records, not only the download log's: no other one may log an error for these. */
    @BeforeEach
    void capture() {
        Logger.getLogger("").addHandler(capture);
    }

    @AfterEach
    void release() {
        Logger.getLogger("").removeHandler(capture);
    }

    @Test
    void aDownloadLogsOneLineAtItsStartAndOneAtItsEndWithoutItsQueryValues() throws Exception {
        byte[] content = randomBytes(200_000, 71);
        origin.serve("/logs/file.bin", content);
        String url = origin.url("/logs/file.bin") + "?token=s3cr3t-value&part=1";
        TestKafka.get().send("logs-1", "{\"id\": \"logs-1\", \"url\": \"" + url + "\"}");
        assertEquals("COMPLETED", TestKafka.get().awaitOutcome("logs-1").json().path("status").asText());

        List<LogRecord> lines = awaitLines("download logs-1 ", 2);
        assertEquals(Level.INFO, lines.get(0).getLevel());
        assertEquals("download logs-1 started: " + origin.url("/logs/file.bin") + "?token=…&part=…",
                lines.get(0).getMessage());
        assertEquals(Level.INFO, lines.get(1).getLevel());
        assertTrue(lines.get(1).getMessage().startsWith("download logs-1 completed: " + origin.url("/logs/file.bin")
                + "?token=…&part=…, 200000 bytes in "), lines.get(1).getMessage());
        assertTrue(lines.get(1).getMessage().endsWith(" ms, 0 retries"), lines.get(1).getMessage());
        assertFalse(records.stream().anyMatch(r -> text(r).contains("s3cr3t")), "no query value in any log");
    }

    @Test
    void anOrigins404AndABadRequestAreOneWarnLineEachWithoutAStackTrace() {
        origin.serve("/logs/missing.bin", new byte[0]).answering(404);
        TestKafka.get().send("logs-2", "{\"id\": \"logs-2\", \"url\": \"" + origin.url("/logs/missing.bin") + "\"}");
        TestKafka.get().send("logs-3", "{\"id\": \"logs-3\", \"url\": \"ftp://files.example/x\\n INFO forged\"}");
        assertEquals("HTTP_404", TestKafka.get().awaitOutcome("logs-2").json().path("error").path("code").asText());
        assertEquals("FAILED", TestKafka.get().awaitOutcome("logs-3").json().path("status").asText());

        LogRecord failed = awaitLines("download logs-2 failed", 1).get(0);
        assertEquals(Level.WARNING, failed.getLevel());
        assertTrue(failed.getMessage().contains(" 0 retries, HTTP_404: origin answered 404 Not Found"), failed.getMessage());
        assertNull(failed.getThrown(), "an expected failure has no stack trace");
        LogRecord refused = awaitLines("request ", 1).stream()
                .filter(r -> r.getMessage().contains("INVALID_REQUEST") || r.getMessage().contains("UNSUPPORTED"))
                .findFirst().orElseThrow();
        assertEquals(Level.WARNING, refused.getLevel());
        assertNull(refused.getThrown());
        assertFalse(refused.getMessage().contains("\n"), "one line, whatever the request held: " + refused.getMessage());
        assertEquals(List.of(), records.stream().filter(r -> r.getLevel() == Level.SEVERE || r.getThrown() != null)
                .map(r -> r.getLoggerName() + ": " + text(r)).toList(), "no error and no stack trace in any log");
    }

    /** The record as it is printed, its parameters in place. */
    private static String text(LogRecord record) {
        return record instanceof ExtLogRecord ext ? String.valueOf(ext.getFormattedMessage())
                : String.valueOf(record.getMessage());
    }

    private List<LogRecord> awaitLines(String prefix, int count) {
        return await().atMost(Duration.ofSeconds(30)).until(
                () -> records.stream().filter(r -> "dev.downloader.download".equals(r.getLoggerName())
                        && r.getMessage() != null && r.getMessage().startsWith(prefix)).toList(),
                lines -> lines.size() >= count);
    }
}
