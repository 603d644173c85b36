package dev.downloader.auth;

/** How a credential profile authenticates: {@code downloader.auth.<name>.type}. */
public enum AuthType {
    BEARER,
    BASIC,
    HEADER,
    OAUTH2,
    HMAC
}
