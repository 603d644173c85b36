package dev.downloader.state;

/** A download row as the work route needs it to start; {@code planSaved} when a run before this one saved its plan. */
public record StoredDownload(String id, String requestJson, Source source, int attempts, int parks, boolean planSaved) {
}
