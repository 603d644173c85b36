package dev.downloader;

/** The stable error codes of a dead-letter record (DESIGN §3); HTTP_<status> is built from the status. */
public enum ErrorCode {
    INVALID_REQUEST,
    UNSUPPORTED_SCHEME,
    TARGET_NOT_ALLOWED,
    ORIGIN_NOT_ALLOWED,
    TOO_LARGE,
    NETWORK,
    STALLED,
    ORIGIN_CHANGED,
    CHECKSUM_MISMATCH,
    SIZE_MISMATCH,
    STORAGE,
    TARGET_EXISTS,
    CANCELLED,
    /** A bug: the only code whose message may carry an exception. */
    INTERNAL
}
