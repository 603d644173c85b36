package dev.downloader.state;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The states of a download row and the moves between them. {@link DownloadStore} changes a row's state only through
 * {@link #requireMove}, each move conditional on the state it comes from, so two nodes can never both make it.
 *
 * <pre>
 *   (request recorded) → QUEUED → RUNNING → COMPLETED | FAILED     the outcome, recorded by the node running it
 *   QUEUED, RUNNING or PARKED → CANCELLED                          cancelled through the API (DELETE /downloads/{id})
 *                          ↑         │
 *                          ├─────────┤  stale heartbeat (its node died), its node restarted, or a stop (SIGTERM)
 *                          │         ↓
 *                          └───── PARKED                            a long Retry-After, until next_attempt_at
 * </pre>
 */
public enum DownloadState {
    QUEUED,
    RUNNING,
    PARKED,
    COMPLETED,
    FAILED,
    CANCELLED;

    private static final Map<DownloadState, Set<DownloadState>> MOVES = Map.of(
            QUEUED, EnumSet.of(RUNNING, CANCELLED),
            RUNNING, EnumSet.of(QUEUED, PARKED, COMPLETED, FAILED, CANCELLED),
            PARKED, EnumSet.of(QUEUED, CANCELLED),
            COMPLETED, EnumSet.noneOf(DownloadState.class),
            FAILED, EnumSet.noneOf(DownloadState.class),
            CANCELLED, EnumSet.noneOf(DownloadState.class));

    /** Throws unless a download in this state may move to {@code next}. */
    public DownloadState requireMove(DownloadState next) {
        if (!MOVES.get(this).contains(next)) {
            throw new IllegalStateException("a download cannot go from " + this + " to " + next);
        }
        return next;
    }

    /** Ended: the download has its outcome and never runs again. */
    public boolean ended() {
        return MOVES.get(this).isEmpty();
    }
}
