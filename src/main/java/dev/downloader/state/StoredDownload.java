package dev.downloader.state;

/** A download row as the work route needs it to start. */
public record StoredDownload(String id, String requestJson, Source source, int attempts, int parks) {
}
