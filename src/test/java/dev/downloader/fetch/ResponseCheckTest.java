package dev.downloader.fetch;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.downloader.DownloadFailure;
import dev.downloader.plan.ProbeResult;

class ResponseCheckTest {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

    private static final String LM = "Wed, 21 Oct 2026 07:28:00 GMT";

    @Test
    void everyResponseMustBeOfTheProbedVersion() {
        ProbeResult strong = new ProbeResult(1000L, "\"v1\"", LM, true, null);
        assertDoesNotThrow(() -> ResponseCheck.requireSameVersion(strong, "\"v1\"", LM, 1000L));
        assertDoesNotThrow(() -> ResponseCheck.requireSameVersion(strong, null, null, null));
        // a strong ETag decides on its own: same ETag, different Last-Modified is the same version
        assertDoesNotThrow(() -> ResponseCheck.requireSameVersion(strong, "\"v1\"", "Thu, 22 Oct 2026 07:28:00 GMT", 1000L));
        assertChanged(() -> ResponseCheck.requireSameVersion(strong, "\"v2\"", LM, 1000L));
        assertChanged(() -> ResponseCheck.requireSameVersion(strong, "\"v1\"", LM, 1001L));
        // no strong ETag: Last-Modified decides
        ProbeResult weak = new ProbeResult(1000L, "W/\"v1\"", LM, true, null);
        assertDoesNotThrow(() -> ResponseCheck.requireSameVersion(weak, "W/\"v1\"", LM, 1000L));
        assertChanged(() -> ResponseCheck.requireSameVersion(weak, "W/\"v1\"", "Thu, 22 Oct 2026 07:28:00 GMT", 1000L));
        ProbeResult dateOnly = new ProbeResult(1000L, null, LM, true, null);
        assertChanged(() -> ResponseCheck.requireSameVersion(dateOnly, null, "Thu, 22 Oct 2026 07:28:00 GMT", null));
    }

    private static void assertChanged(org.junit.jupiter.api.function.Executable check) {
        assertEquals("ORIGIN_CHANGED", assertThrows(DownloadFailure.class, check).code());
    }

    @Test
    void onlyA206WithTheAskedRangeIsAccepted() {
        assertDoesNotThrow(() -> ResponseCheck.requireRange(206, "bytes 100-199/1000", 100, 199));
        assertThrows(RangeNotHonoured.class, () -> ResponseCheck.requireRange(200, null, 100, 199));
        assertThrows(RangeNotHonoured.class, () -> ResponseCheck.requireRange(206, "bytes 0-199/1000", 100, 199));
        assertThrows(RangeNotHonoured.class, () -> ResponseCheck.requireRange(206, "bytes 100-150/1000", 100, 199));
        assertThrows(RangeNotHonoured.class, () -> ResponseCheck.requireRange(206, null, 100, 199));
        assertThrows(RangeNotHonoured.class, () -> ResponseCheck.requireRange(206, "garbage", 100, 199));
    }

    @Test
    void parsesContentRange() {
        assertEquals(new ResponseCheck.ContentRange(0, 0, 42L), ResponseCheck.parseContentRange("bytes 0-0/42"));
        assertEquals(new ResponseCheck.ContentRange(5, 9, null), ResponseCheck.parseContentRange("bytes 5-9/*"));
        assertNull(ResponseCheck.parseContentRange("bytes 9-5/42"), "end before start");
        assertNull(ResponseCheck.parseContentRange("bytes 0-42/42"), "end past the total");
        assertNull(ResponseCheck.parseContentRange("bytes */42"));
    }

    @Test
    void fatalStatusesFailAtOnceWithTheirCode() {
        for (int status : new int[] {400, 401, 403, 404, 410, 416, 501}) {
            DownloadFailure failure = assertThrows(DownloadFailure.class,
                    () -> ResponseCheck.requireSuccess(status, "Reason", "GET /f", null, NOW));
            assertEquals("HTTP_" + status, failure.code());
            assertEquals(status, failure.httpStatus());
            assertFalse(failure.retryable());
            assertTrue(failure.getMessage().contains(status + " Reason for GET /f"), failure.getMessage());
        }
    }

    @Test
    void retryableStatusesCarryRetryAfter() {
        for (int status : new int[] {408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}) {
            RetryableStatus retry = assertThrows(RetryableStatus.class,
                    () -> ResponseCheck.requireSuccess(status, "", "GET /f", "3", NOW));
            assertEquals(status, retry.status());
            assertEquals(3000, retry.retryAfterMillis());
        }
        assertDoesNotThrow(() -> ResponseCheck.requireSuccess(206, "", "GET /f", null, NOW));
    }

    @Test
    void retryAfterAsSecondsOrDateIsCapped() {
        assertEquals(-1, ResponseCheck.retryAfterMillis(null, NOW));
        assertEquals(-1, ResponseCheck.retryAfterMillis("soon", NOW));
        assertEquals(0, ResponseCheck.retryAfterMillis("0", NOW));
        assertEquals(10_000, ResponseCheck.retryAfterMillis("Sat, 21 Nov 2026 12:00:10 GMT", NOW));
        assertEquals(0, ResponseCheck.retryAfterMillis("Sat, 21 Nov 2026 11:00:00 GMT", NOW), "a date in the past");
        assertEquals(86_400_000, ResponseCheck.retryAfterMillis("86400", NOW), "capped later, by configuration");
        assertEquals(ResponseCheck.MAX_RETRY_AFTER_MILLIS, ResponseCheck.retryAfterMillis("99999999999", NOW));
    }
}
