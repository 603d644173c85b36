package dev.downloader.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

import dev.downloader.DownloadFailure;
import dev.downloader.DownloadJob;
import dev.downloader.DownloaderConfig;
import dev.downloader.ErrorCode;
import dev.downloader.auth.Credentials;
import dev.downloader.plan.ProbeResult;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Asks the origin about the file before fetching it, with a GET of its first bytes (downloader.buffer-size of them):
 * the answer tells the size, the validators and whether ranges are served (a 206), and its body is kept as the first
 * bytes of the file, so a file that small takes one request. Follows redirects itself, so the origin guard sees every
 * hop.
 */
@ApplicationScoped
@Named("originProbe")
@RegisterForReflection(fields = false)
public class OriginProbe {

    static final int MAX_REDIRECTS = 5;
    private static final Pattern FILENAME_STAR = Pattern.compile("filename\\*\\s*=\\s*[^']*'[^']*'([^;]+)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern FILENAME = Pattern.compile("filename\\s*=\\s*\"?([^\";]+)\"?", Pattern.CASE_INSENSITIVE);

    private final OriginGuard guard;
    private final Credentials credentials;
    private final OriginHosts hosts;
    private final Arrivals arrivals;
    private final Long maxSize;
    private final int firstBytes;

    public OriginProbe(OriginGuard guard, Credentials credentials, OriginHosts hosts, Arrivals arrivals,
            DownloaderConfig config) {
        this.hosts = hosts;
        this.guard = guard;
        this.credentials = credentials;
        this.arrivals = arrivals;
        this.maxSize = config.maxSize().map(s -> s.asLongValue()).orElse(null);
        this.firstBytes = (int) config.bufferSize().asLongValue();
    }

    public void prepare(Exchange exchange) throws UnknownHostException {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        guard.check(job.url());
        Message in = exchange.getIn();
        OriginRequest.prepare(in, "GET", job, job.url(), credentials, hosts);
        in.setHeader("Range", "bytes=0-" + (firstBytesFor(job) - 1));
    }

    /** As many first bytes as a range's buffer holds; one where a saved plan likely has them on disk already. */
    private int firstBytesFor(DownloadJob job) {
        return job.planSaved() ? 1 : firstBytes;
    }

    /** Records the probe on the job, or a redirect to probe again after; throws on a failure. */
    public void interpret(Exchange exchange) throws IOException {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        Message in = exchange.getIn();
        Object body = in.getBody();
        in.setBody(null);
        boolean complete = false;
        try {
            int status = OriginRequest.status(in);
            if (status >= 300 && status < 400 && status != 304) {
                redirect(job, in, status);
                return;
            }
            if (status == 416) {
                // no first byte: an empty file
                job.probed(check(job, new ProbeResult(0L, header(in, "ETag"), header(in, "Last-Modified"), false,
                        fileName(in))));
                return;
            }
            OriginRequest.requireSuccess(in, status, OriginRequest.describe("GET", job.url()), job, job.url(),
                    credentials, hosts);
            ResponseCheck.ContentRange range = ResponseCheck.parseContentRange(header(in, "Content-Range"));
            boolean ranges = status == 206 && range != null && range.total() != null;
            Long size = ranges ? range.total() : OriginRequest.longHeader(in, "Content-Length");
            ProbeResult probe = check(job, new ProbeResult(size, header(in, "ETag"), header(in, "Last-Modified"),
                    ranges, fileName(in)));
            // only the first bytes exactly as asked start the file; any other answer's body is dropped unread (a
            // 200 may carry the whole file)
            byte[] first = null;
            if (ranges && range.start() == 0 && range.end() == Math.min(firstBytesFor(job), size) - 1
                    && body instanceof InputStream stream) {
                first = read(job, stream, (int) (range.end() + 1));
                complete = true;
            }
            job.probed(probe, first);
        } finally {
            if (complete) {
                ((InputStream) body).close();
            } else {
                OriginRequest.abandon(body);
            }
        }
    }

    /** Reads the probe's body, watched for stalls and counted against the bandwidth cap like any range. */
    private byte[] read(DownloadJob job, InputStream stream, int length) throws IOException {
        byte[] bytes = new byte[length];
        Arrivals.Watch arrival = arrivals.watch(job, OriginHosts.key(job.url()));
        int total = 0;
        while (total < length) {
            int read = stream.read(bytes, total, length - total);
            if (read < 0) {
                throw new IOException("the probe's body ended after " + total + " of " + length + " bytes");
            }
            total += read;
            arrival.arrived(read);
        }
        return bytes;
    }

    private ProbeResult check(DownloadJob job, ProbeResult probe) {
        if (probe.size() != null && maxSize != null && probe.size() > maxSize) {
            throw new DownloadFailure(ErrorCode.TOO_LARGE,
                    "the file is " + probe.size() + " bytes, over the configured maximum of " + maxSize);
        }
        Long declared = job.request().size();
        if (probe.size() != null && declared != null && !declared.equals(probe.size())) {
            throw new DownloadFailure(ErrorCode.SIZE_MISMATCH,
                    "the request says " + declared + " bytes, the origin says " + probe.size());
        }
        return probe;
    }

    /**
     * Follows a redirect one hop, after the same checks as the request's own URL. A Location that cannot be followed
     * is the origin's fault, answered as its status (HTTP_3xx), never as a bug.
     */
    private void redirect(DownloadJob job, Message in, int status) throws UnknownHostException {
        String location = header(in, "Location");
        if (location == null || location.isBlank()) {
            throw DownloadFailure.httpStatus(status, "origin answered " + status + " without a Location", false);
        }
        if (job.redirects() >= MAX_REDIRECTS) {
            throw DownloadFailure.httpStatus(status, "more than " + MAX_REDIRECTS + " redirects", false);
        }
        URI next;
        try {
            next = job.url().resolve(new URI(location.trim()));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw DownloadFailure.httpStatus(status, "origin answered " + status + " with a Location that is not a URL",
                    false);
        }
        String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new DownloadFailure(ErrorCode.UNSUPPORTED_SCHEME,
                    "redirected to the unsupported scheme '" + scheme + "'");
        }
        if (next.getHost() == null || next.getPort() == 0 || next.getPort() > 65535) {
            throw DownloadFailure.httpStatus(status, "origin answered " + status
                    + " with a Location without a valid host or port", false);
        }
        if (next.getRawUserInfo() != null) {
            // credentials come from auth profiles only, not from an origin's Location
            next = withoutUserInfo(next);
        }
        guard.checkRedirect(job.url(), next);
        job.redirectTo(next);
    }

    /** The same URL from its raw (still encoded) parts, less the user-info and the fragment. */
    private static URI withoutUserInfo(URI uri) {
        String authority = uri.getRawAuthority();
        return URI.create(uri.getScheme() + "://" + authority.substring(authority.lastIndexOf('@') + 1)
                + (uri.getRawPath() == null ? "" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    }

    private static String header(Message in, String name) {
        return in.getHeader(name, String.class);
    }

    private static String fileName(Message in) {
        String disposition = header(in, "Content-Disposition");
        if (disposition == null) {
            return null;
        }
        Matcher star = FILENAME_STAR.matcher(disposition);
        if (star.find()) {
            try {
                return URLDecoder.decode(star.group(1).trim().replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException malformed) {
                // a broken filename* is ignored: the plain filename, or the URL, names the file instead
            }
        }
        Matcher plain = FILENAME.matcher(disposition);
        return plain.find() ? plain.group(1).trim() : null;
    }
}
