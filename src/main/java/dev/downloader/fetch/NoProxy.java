package dev.downloader.fetch;

import java.util.List;

/**
 * The hosts reached directly, not through the proxy, in the usual NO_PROXY form: {@code localhost,127.0.0.1,.internal}.
 * An entry matches the host itself and its subdomains (with or without a leading dot), case-insensitively and
 * ignoring a trailing dot; {@code *} matches every host.
 */
public final class NoProxy {

    private final List<String> entries;

    public NoProxy(List<String> entries) {
        this.entries = entries.stream().map(String::trim).filter(e -> !e.isEmpty())
                .map(e -> OriginGuard.normalizeHost(e.startsWith(".") ? e.substring(1) : e)).toList();
    }

    public boolean matches(String rawHost) {
        String host = OriginGuard.normalizeHost(rawHost);
        for (String entry : entries) {
            if (entry.equals("*") || host.equals(entry) || host.endsWith("." + entry)) {
                return true;
            }
        }
        return false;
    }
}
