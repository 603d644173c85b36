package dev.downloader.fetch;

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
 * Asks the origin about the file before fetching it: HEAD, or GET bytes=0-0 where HEAD is refused. Follows redirects
 * itself, so the origin guard sees every hop.
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
    private final Long maxSize;

    public OriginProbe(OriginGuard guard, Credentials credentials, OriginHosts hosts, DownloaderConfig config) {
        this.hosts = hosts;
        this.guard = guard;
        this.credentials = credentials;
        this.maxSize = config.maxSize().map(s -> s.asLongValue()).orElse(null);
    }

    public void prepare(Exchange exchange) throws UnknownHostException {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        guard.check(job.url());
        Message in = exchange.getIn();
        String method = job.headRefused() ? "GET" : "HEAD";
        OriginRequest.prepare(in, method, job, job.url(), credentials, hosts);
        if (job.headRefused()) {
            in.setHeader("Range", "bytes=0-0");
        }
    }

    /** Records the probe on the job, or a redirect or HEAD refusal to probe again after; throws on a failure. */
    public void interpret(Exchange exchange) throws UnknownHostException {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        Message in = exchange.getIn();
        OriginRequest.abandon(in.getBody());
        in.setBody(null);
        int status = OriginRequest.status(in);
        String method = job.headRefused() ? "GET" : "HEAD";
        if (status >= 300 && status < 400 && status != 304) {
            redirect(job, in, status);
            return;
        }
        if (!job.headRefused() && headRefused(status)) {
            job.refuseHead();
            return;
        }
        if (status == 416 && job.headRefused()) {
            // bytes=0-0 of an empty file: there is no first byte
            job.probed(check(job, new ProbeResult(0L, header(in, "ETag"), header(in, "Last-Modified"), false,
                    fileName(in))));
            return;
        }
        OriginRequest.requireSuccess(in, status, OriginRequest.describe(method, job.url()), job, job.url(),
                credentials, hosts);
        Long size;
        boolean ranges;
        if (job.headRefused()) {
            ResponseCheck.ContentRange range = ResponseCheck.parseContentRange(header(in, "Content-Range"));
            ranges = status == 206 && range != null && range.total() != null;
            size = ranges ? range.total() : OriginRequest.longHeader(in, "Content-Length");
        } else {
            ranges = "bytes".equalsIgnoreCase(header(in, "Accept-Ranges"));
            size = OriginRequest.longHeader(in, "Content-Length");
        }
        job.probed(check(job, new ProbeResult(size, header(in, "ETag"), header(in, "Last-Modified"), ranges,
                fileName(in))));
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

    /** Statuses with which origins refuse HEAD while they may still serve GET. */
    private static boolean headRefused(int status) {
        return status == 400 || status == 403 || status == 405 || status == 501;
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
