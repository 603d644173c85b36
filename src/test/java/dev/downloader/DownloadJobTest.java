package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.downloader.request.DownloadRequest;

class DownloadJobTest {

    private final DownloadJob job = new DownloadJob(new DownloadRequest("id-1",
            java.net.URI.create("https://example.com/f"), null, null, null, null, null, null, null, null, 0, false, null),
            null, Instant.now(), false);

    @Test
    void aRetryAfterWithinTheBudgetIsWaitedInline() {
        job.parkingPolicy(3_600_000, 30_000, 5);
        assertEquals(30_000, job.requireInlineWait(30_000, 503, "503"));
    }

    @Test
    void aLongerOneParksUntilThenWhileParksAreLeft() {
        job.parkingPolicy(3_600_000, 30_000, 1);
        Instant before = Instant.now();
        ParkDownload park = assertThrows(ParkDownload.class, () -> job.requireInlineWait(3_600_000, 503, "503"));
        assertTrue(!park.until().isBefore(before.plusSeconds(3600)), "parked until the origin's time: " + park.until());
    }

    @Test
    void aRetryAfterPastTheCapIsReadAsTheCap() {
        job.parkingPolicy(60_000, 120_000, 5);
        assertEquals(60_000, job.requireInlineWait(86_400_000, 429, "429"));
    }

    @Test
    void withNoParksLeftItFailsWithTheOriginsStatus() {
        job.parkingPolicy(3_600_000, 30_000, 0);
        DownloadFailure failure = assertThrows(DownloadFailure.class, () -> job.requireInlineWait(60_000, 429, "429"));
        assertEquals("HTTP_429", failure.code());
        assertTrue(failure.retryable());
    }
}
