package dev.downloader.state;

import java.time.Instant;

/**
 * A download row as the status API shows it: its state, where it runs, when it moved, and its outcome once it has
 * one (the result or dead letter as published, JSON).
 */
public record DownloadStatus(String id, DownloadState state, String ownerNode, int attempts, Instant createdAt,
        Instant startedAt, Instant endedAt, String outcomeJson) {
}
