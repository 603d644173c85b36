package dev.downloader;

/**
 * This node is shutting down (SIGTERM): the download stops where it is, its progress saved, and goes back to the queue
 * to be resumed. Not a failure: it gets no outcome.
 */
public class DownloadStopped extends RuntimeException {

    public DownloadStopped(String id) {
        super("download " + id + " stopped: this node is shutting down", null, false, false);
    }
}
