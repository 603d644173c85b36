package dev.downloader.api;

import java.io.IOException;
import java.nio.file.Files;
import java.sql.SQLException;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.camel.CamelExecutionException;
import org.apache.camel.ProducerTemplate;
import org.jboss.logging.Logger;

import dev.downloader.DownloadFailure;
import dev.downloader.DownloadJobs;
import dev.downloader.PartFiles;
import dev.downloader.outcome.Outcome;
import dev.downloader.outcome.Outcomes;
import dev.downloader.state.DownloadState;
import dev.downloader.state.DownloadStore;
import dev.downloader.watch.DownloadLog;

/**
 * Cancels a download that has not ended: its row ends CANCELLED with its dead letter recorded (the outbox), the
 * dead letter is published through the deliver route, and the node running it stops its lanes (this one at once,
 * another at its next heartbeat) and removes its part file. A queued or parked download's part file goes here.
 */
@ApplicationScoped
public class Cancellations {

    private static final Logger LOG = Logger.getLogger(Cancellations.class);

    private final DownloadStore store;
    private final DownloadJobs jobs;
    private final Outcomes outcomes;
    private final PartFiles partFiles;
    private final ProducerTemplate producer;
    private final DownloadLog log;

    public Cancellations(DownloadStore store, DownloadJobs jobs, Outcomes outcomes, PartFiles partFiles,
            ProducerTemplate producer, DownloadLog log) {
        this.log = log;
        this.store = store;
        this.jobs = jobs;
        this.outcomes = outcomes;
        this.partFiles = partFiles;
        this.producer = producer;
    }

    /** The state the download was cancelled in; null when it had already ended. The id must be known. */
    public DownloadState cancel(String id) throws SQLException {
        Outcome letter = outcomes.failed(id, store.load(id), null, DownloadFailure.cancelled());
        DownloadState was = store.cancel(letter);
        if (was == null) {
            return null;
        }
        jobs.stopCancelled(id);
        if (was != DownloadState.RUNNING) {
            try {
                Files.deleteIfExists(partFiles.of(id));
            } catch (IOException e) {
                LOG.warnf("download %s: cannot remove its part file: %s", id, e.getMessage());
            }
        }
        log.cancelledThroughApi(id, was);
        try {
            producer.sendBody("direct:deliver", letter);
        } catch (CamelExecutionException e) {
            // recorded: the outbox relay publishes it once the broker is back
            LOG.warnf("download %s: its dead letter is recorded, not yet published: %s", id, e.getMessage());
        }
        return was;
    }
}
