package dev.downloader.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.Set;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.http.HttpMethods;
import org.apache.hc.core5.http.io.EofSensorInputStream;

import dev.downloader.DownloadJob;
import dev.downloader.auth.Credentials;

/**
 * What every call to an origin shares: a message carrying only the headers meant for the origin (exchange headers
 * become HTTP headers in camel-http), the status check, and letting go of a body without draining it.
 */
final class OriginRequest {

    private static final Set<String> REDELIVERY_STATE = Set.of(Exchange.REDELIVERY_COUNTER, Exchange.REDELIVERED,
            Exchange.REDELIVERY_MAX_COUNTER);

    private OriginRequest() {
    }

    /**
     * Parks the download while its host's circuit is open. Replaces every header: nothing from Kafka or an earlier
     * response may reach the origin. The request's headers
     * (names already passed by the HeaderPolicy, so none is a Camel name) go first, the service's own after them, and
     * the credentials of the request's profile last.
     */
    static void prepare(Message in, String method, DownloadJob job, URI url, Credentials credentials,
            OriginHosts hosts) {
        hosts.requireCallable(job, url);
        // Camel's redelivery counts live in these headers: clearing them would make every retry the first, for ever.
        // (camel-http never sends Camel* headers to the origin.)
        in.getHeaders().keySet().removeIf(name -> !REDELIVERY_STATE.contains(name));
        in.setBody(null);
        job.request().headers().forEach(in::setHeader);
        in.setHeader(Exchange.HTTP_URI, url.toString());
        // as camel-http's own enum (org.apache.camel.component.http, not camel-http-common's twin): it reads the header
        // as that one, and anything else took a search of Camel's type converters at every request
        in.setHeader(Exchange.HTTP_METHOD, HttpMethods.valueOf(method));
        // identity: ranges and lengths are about the bytes stored, not a compressed form of them; and should the
        // origin encode anyway, the bytes are still written as sent: camel-http would otherwise gunzip the body
        in.setHeader("Accept-Encoding", "identity");
        in.getExchange().setProperty(Exchange.SKIP_GZIP_ENCODING, true);
        credentials.apply(in, job.request().auth(), method, url);
    }

    /** A non-negative number from a response header; null when absent or not a number. */
    static Long longHeader(Message in, String name) {
        String value = in.getHeader(name, String.class);
        if (value == null) {
            return null;
        }
        try {
            long parsed = Long.parseLong(value.trim());
            return parsed < 0 ? null : parsed;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static int status(Message in) {
        Integer status = in.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        if (status == null) {
            throw new IllegalStateException("no HTTP status on the response");
        }
        return status;
    }

    /**
     * As {@link ResponseCheck#requireSuccess}, after telling the host's politeness what it answered; hands the
     * origin's Retry-After to the redelivery policy, or parks
     * the download when it is longer than the inline retries wait. A 401 or 403 to
     * an OAuth2 profile's token is retried once with a renewed token, within the same retry budget.
     */
    static void requireSuccess(Message in, int status, String request, DownloadJob job, URI url,
            Credentials credentials, OriginHosts hosts) {
        hosts.answered(url, status);
        if ((status == 401 || status == 403) && credentials.renewAfterRejection(job.request().auth(),
                in.getExchange().getProperty(Credentials.TOKEN_SENT, String.class), job.credentialsRenewed())) {
            job.markCredentialsRenewed();
            throw new RetryableStatus(status, "origin answered " + status + " for " + request
                    + "; retrying with a renewed token", 0);
        }
        try {
            ResponseCheck.requireSuccess(status, in.getHeader(Exchange.HTTP_RESPONSE_TEXT, String.class), request,
                    in.getHeader("Retry-After", String.class), Instant.now());
        } catch (RetryableStatus retryable) {
            if (retryable.retryAfterMillis() >= 0) {
                in.setHeader(Exchange.REDELIVERY_DELAY,
                        job.requireInlineWait(retryable.retryAfterMillis(), status, retryable.getMessage()));
            }
            throw retryable;
        }
    }

    /**
     * Drops a body without reading the rest of it: camel-http would otherwise drain it when the exchange completes,
     * which for a 200 carrying a whole large file means downloading it for nothing.
     */
    static void abandon(Object body) {
        if (body instanceof EofSensorInputStream stream) {
            try {
                stream.abort();
            } catch (IOException ignored) {
                // the connection is being thrown away anyway
            }
        } else if (body instanceof InputStream stream) {
            try {
                stream.close();
            } catch (IOException ignored) {
                // as above
            }
        }
    }

    /** scheme://host[:port]/path of a URL, for logs: no user-info, no query (where tokens travel). */
    static String describe(URI url) {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() >= 0 ? ":" + url.getPort() : "")
                + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    static String describe(String method, java.net.URI url) {
        return method + " " + (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath());
    }
}
