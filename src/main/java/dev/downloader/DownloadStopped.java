package dev.downloader;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * This node is shutting down (SIGTERM): the download stops where it is, its progress saved, and goes back to the queue
 * to be resumed. Not a failure: it gets no outcome.
 */
@RegisterForReflection(fields = false)
public class DownloadStopped extends RuntimeException {

    public DownloadStopped(String id) {
        super("download " + id + " stopped: this node is shutting down", null, false, false);
    }
}
