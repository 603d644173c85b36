package dev.downloader.fetch;

import java.net.URI;
import java.net.UnknownHostException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.jboss.logging.Logger;

import dev.downloader.DownloadJob;
import dev.downloader.auth.Credentials;
import dev.downloader.plan.ProbeResult;
import dev.downloader.plan.Sources;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Asks a request's mirror about the file (HEAD) once the origin has answered: a mirror that shows the same file serves
 * ranges beside the origin; one that differs, fails, redirects or is refused by the origin policy is left out.
 */
@ApplicationScoped
@Named("mirrorProbe")
@RegisterForReflection(fields = false)
public class MirrorProbe {

    private static final Logger LOG = Logger.getLogger(MirrorProbe.class);
    private static final String MIRROR = "mirror";

    private final OriginGuard guard;
    private final Credentials credentials;
    private final OriginHosts hosts;

    public MirrorProbe(OriginGuard guard, Credentials credentials, OriginHosts hosts) {
        this.guard = guard;
        this.credentials = credentials;
        this.hosts = hosts;
    }

    public void prepare(Exchange exchange) throws UnknownHostException {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        URI mirror = exchange.getIn().getBody(URI.class);
        exchange.setProperty(MIRROR, mirror);
        guard.check(mirror);
        OriginRequest.prepare(exchange.getIn(), "HEAD", job, mirror, credentials, hosts);
    }

    public void interpret(Exchange exchange) {
        DownloadJob job = exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class);
        URI mirror = exchange.getProperty(MIRROR, URI.class);
        Message in = exchange.getIn();
        OriginRequest.abandon(in.getBody());
        in.setBody(null);
        int status = OriginRequest.status(in);
        hosts.answered(mirror, status);
        if (status < 200 || status >= 300) {
            leftOut(job, mirror, "it answered " + status + " to HEAD");
            return;
        }
        ProbeResult probe = new ProbeResult(OriginRequest.longHeader(in, "Content-Length"),
                in.getHeader("ETag", String.class), in.getHeader("Last-Modified", String.class),
                "bytes".equalsIgnoreCase(in.getHeader("Accept-Ranges", String.class)), null);
        String differs = Sources.differs(job.probe(), probe);
        if (differs != null) {
            leftOut(job, mirror, differs);
            return;
        }
        job.sources().addMirror(mirror, probe);
        LOG.infof("download %s: mirror %s serves beside the origin", job.id(), OriginRequest.describe(mirror));
    }

    /** The mirror could not be asked (refused by the origin policy, unreachable, its circuit open). */
    public void failed(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        leftOut(exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class), exchange.getProperty(MIRROR, URI.class),
                cause == null ? "it could not be asked" : cause.getMessage());
    }

    private static void leftOut(DownloadJob job, URI mirror, String why) {
        job.sources().leaveOut(mirror, why);
        LOG.warnf("download %s: mirror %s left out: %s", job.id(), mirror == null ? "?" : OriginRequest.describe(mirror),
                why);
    }
}
