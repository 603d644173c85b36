package dev.downloader.fetch;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.downloader.DownloadFailure;
import dev.downloader.ErrorCode;
import dev.downloader.plan.ProbeResult;

/** Decides what an origin response means, before a byte of its body is written. Pure: no I/O. */
public final class ResponseCheck {

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)",
            Pattern.CASE_INSENSITIVE);
    /** Retry-After values past a week are read as a week; the configured cap (downloader.retry.max-retry-after-ms) applies after. */
    static final long MAX_RETRY_AFTER_MILLIS = Duration.ofDays(7).toMillis();

    private ResponseCheck() {
    }

    /** A parsed {@code Content-Range: bytes start-end/total}; {@code total} is null for {@code *}. */
    public record ContentRange(long start, long end, Long total) {
    }

    public static boolean isRetryable(int status) {
        return status == 408 || status == 425 || status == 429 || (status >= 500 && status != 501 && status != 505);
    }

    /**
     * Throws unless {@code status} is a 2xx: a {@link RetryableStatus} for what a retry may cure, else a fatal
     * {@link DownloadFailure} with code HTTP_&lt;status&gt;.
     */
    public static void requireSuccess(int status, String reason, String request, String retryAfter, Instant now) {
        if (status >= 200 && status < 300) {
            return;
        }
        String message = "origin answered " + status + (reason == null || reason.isBlank() ? "" : " " + reason)
                + " for " + request;
        if (isRetryable(status)) {
            throw new RetryableStatus(status, message, retryAfterMillis(retryAfter, now));
        }
        throw DownloadFailure.httpStatus(status, message, false);
    }

    /**
     * For a 2xx answer to {@code Range: bytes=start-end}: only a 206 carrying exactly that range is accepted; anything
     * else means the origin does not serve ranges as asked.
     */
    public static ContentRange requireRange(int status, String contentRange, long start, long end) {
        if (status != 206) {
            throw new RangeNotHonoured("asked for bytes " + start + "-" + end + ", origin answered " + status
                    + " with the whole file");
        }
        ContentRange range = parseContentRange(contentRange);
        if (range == null || range.start() != start || range.end() != end) {
            throw new RangeNotHonoured("asked for bytes " + start + "-" + end + ", origin answered Content-Range '"
                    + contentRange + "'");
        }
        return range;
    }

    /**
     * Every response must be of the version probed, so two versions are never mixed in one file: the total size (from
     * Content-Range, or Content-Length for a whole-file answer) is the probed size, and the strong ETag, or where the
     * probe had none the Last-Modified, is unchanged.
     */
    public static void requireSameVersion(ProbeResult probe, String etag, String lastModified, Long total) {
        if (probe.size() != null && total != null && !total.equals(probe.size())) {
            throw changed("the file is now " + total + " bytes, it was " + probe.size());
        }
        String probedEtag = probe.strongEtag();
        if (probedEtag != null && etag != null) {
            if (!probedEtag.equals(etag)) {
                throw changed("ETag was " + probedEtag + ", now " + etag);
            }
            return;
        }
        if (probe.lastModified() != null && lastModified != null && !probe.lastModified().equals(lastModified)) {
            throw changed("Last-Modified was " + probe.lastModified() + ", now " + lastModified);
        }
    }

    private static DownloadFailure changed(String what) {
        return new DownloadFailure(ErrorCode.ORIGIN_CHANGED, "the file changed at the origin during the download: " + what);
    }

    public static ContentRange parseContentRange(String header) {
        if (header == null) {
            return null;
        }
        Matcher m = CONTENT_RANGE.matcher(header.trim());
        if (!m.matches()) {
            return null;
        }
        try {
            long start = Long.parseLong(m.group(1));
            long end = Long.parseLong(m.group(2));
            Long total = m.group(3).equals("*") ? null : Long.parseLong(m.group(3));
            if (end < start || (total != null && end >= total)) {
                return null;
            }
            return new ContentRange(start, end, total);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Retry-After as delay-seconds or an HTTP-date (at most a week); -1 when absent or unreadable. */
    public static long retryAfterMillis(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return -1;
        }
        String value = header.trim();
        long millis;
        if (value.chars().allMatch(Character::isDigit)) {
            try {
                millis = Math.multiplyExact(Long.parseLong(value), 1000L);
            } catch (ArithmeticException | NumberFormatException e) {
                millis = MAX_RETRY_AFTER_MILLIS;
            }
        } else {
            try {
                millis = Duration.between(now, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME)).toMillis();
            } catch (DateTimeParseException e) {
                return -1;
            }
        }
        return Math.max(0, Math.min(millis, MAX_RETRY_AFTER_MILLIS));
    }
}
