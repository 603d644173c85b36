package dev.downloader.watch;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.jboss.logging.Logger;

import dev.downloader.DownloadJob;
import dev.downloader.ErrorCode;
import dev.downloader.outcome.Outcomes;
import dev.downloader.outcome.RequestEcho;
import dev.downloader.state.DownloadState;
import dev.downloader.state.Source;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The log lines of a download's life: one INFO line when it starts and one when it ends; a failure an origin or a
 * request caused is one WARN line without a stack trace; only an INTERNAL failure (a bug) logs its stack trace.
 * URLs are logged without user-info and with their query values left out, where signed URLs keep their secrets.
 */
@ApplicationScoped
@Named("downloadLog")
@RegisterForReflection(fields = false)
public class DownloadLog {

    private static final Logger LOG = Logger.getLogger("dev.downloader.download");
    private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

    public void started(DownloadJob job) {
        LOG.info(oneLine("download " + job.id() + " started: " + loggable(job.request().url())));
    }

    public void completed(DownloadJob job) {
        LOG.info(oneLine("download " + job.id() + " completed: " + run(job, job.digest().hashedBytes()) + ", "
                + job.retries() + " retries" + (job.resumed() ? ", resumed" : "")));
    }

    /** {@code job} is null when the download failed before it could start. */
    public void failed(String id, DownloadJob job, Throwable cause) {
        Outcomes.ErrorInfo error = Outcomes.describe(cause);
        String what = job == null ? "" : " " + run(job, job.bytesTransferred()) + ", " + job.retries() + " retries,";
        String line = oneLine("download " + id + " failed:" + what + " " + error.code() + ": " + error.message());
        if (error.code().equals(ErrorCode.INTERNAL.name())) {
            LOG.error(line, cause);
        } else {
            LOG.warn(line);
        }
    }

    /** Cancelled through the API while it ran here: its lanes stopped, its part file goes. */
    public void cancelled(DownloadJob job) {
        LOG.info(oneLine("download " + job.id() + " cancelled: " + run(job, job.bytesTransferred())
                + "; its part file is removed"));
    }

    /** Cancelled through the API on this node, wherever it was (queued, parked, or running on any node). */
    public void cancelledThroughApi(String id, DownloadState was) {
        LOG.info(oneLine("download " + id + " cancelled through the API (it was " + was + ")"));
    }

    /** A request that never became a download: it failed validation. */
    public void rejected(Source source, Throwable cause) {
        Outcomes.ErrorInfo error = Outcomes.describe(cause);
        LOG.warn(oneLine("request " + source.topic() + "-" + source.partition() + "@" + source.offset() + " refused: "
                + error.code() + ": " + error.message()));
    }

    /** scheme://host:port/path, with ?name=… for each query parameter: no user-info, no query values. */
    static String loggable(URI url) {
        StringBuilder out = new StringBuilder().append(url.getScheme()).append("://").append(url.getHost());
        if (url.getPort() >= 0) {
            out.append(':').append(url.getPort());
        }
        out.append(url.getRawPath() == null ? "" : url.getRawPath());
        String query = url.getRawQuery();
        if (query != null && !query.isEmpty()) {
            out.append('?');
            String[] parameters = query.split("&");
            for (int i = 0; i < parameters.length; i++) {
                int equals = parameters[i].indexOf('=');
                out.append(i == 0 ? "" : "&").append(equals < 0 ? parameters[i] : parameters[i].substring(0, equals))
                        .append("=…");
            }
        }
        return out.toString();
    }

    /** Without user-info, and on one line: ids and messages may quote what a request or an origin sent. */
    private static String oneLine(String text) {
        return CONTROL.matcher(RequestEcho.scrub(text)).replaceAll("?");
    }

    /** What a run did: its URL as logged, its bytes, its time so far. */
    private static String run(DownloadJob job, long bytes) {
        return loggable(job.request().url()) + ", " + bytes + " bytes in "
                + Duration.between(job.startedAt(), Instant.now()).toMillis() + " ms";
    }
}
