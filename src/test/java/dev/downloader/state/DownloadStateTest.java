package dev.downloader.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DownloadStateTest {

    @Test
    void theMovesADownloadMakes() {
        assertEquals(DownloadState.RUNNING, DownloadState.QUEUED.requireMove(DownloadState.RUNNING));
        assertEquals(DownloadState.PARKED, DownloadState.RUNNING.requireMove(DownloadState.PARKED));
        assertEquals(DownloadState.QUEUED, DownloadState.PARKED.requireMove(DownloadState.QUEUED));
        assertEquals(DownloadState.FAILED, DownloadState.RUNNING.requireMove(DownloadState.FAILED));
    }

    @Test
    void anEndedDownloadNeverMovesAndOnlyARunningOneGetsAnOutcome() {
        assertTrue(DownloadState.COMPLETED.ended());
        assertFalse(DownloadState.PARKED.ended());
        assertThrows(IllegalStateException.class, () -> DownloadState.COMPLETED.requireMove(DownloadState.QUEUED));
        assertThrows(IllegalStateException.class, () -> DownloadState.QUEUED.requireMove(DownloadState.COMPLETED));
        assertThrows(IllegalStateException.class, () -> DownloadState.PARKED.requireMove(DownloadState.RUNNING));
    }
}
