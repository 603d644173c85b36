package dev.downloader.request;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which of a request's {@code headers} may travel to the origin. Request headers are data: a name passes only when it
 * is on the configured allow-list and not one the service owns, and it is sent as a plain HTTP header, never as an
 * exchange header Camel would act on. The refused names are refused whatever the allow-list says.
 */
public final class HeaderPolicy {

    /** Letters, digits and '-': no '.', '_' or other token characters that Camel or Kafka header names use. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,99}");
    /** Printable ASCII and tab (RFC 9110 field-vchar without obs-text): no CR, LF, NUL or other controls. */
    private static final Pattern VALUE = Pattern.compile("[\\x20-\\x7e\\t]{0,8192}");
    private static final int MAX_HEADERS = 50;

    /** The service's own: framing, hop-by-hop, routing, conditional and encoding headers, and credentials. */
    private static final Set<String> REFUSED = Set.of(
            // routing and framing
            "host", "content-length", "content-type", "content-encoding", "transfer-encoding", "expect",
            // hop-by-hop
            "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
            // ranges, validators and encodings the service sets to keep one version of the bytes as stored
            "range", "if-range", "accept-encoding", "if-match", "if-none-match", "if-modified-since",
            "if-unmodified-since",
            // credentials: they come from auth profiles in configuration, never from a request
            "authorization", "proxy-authorization", "cookie",
            // headers that ask an origin or a proxy to change the method or believe another client
            "x-http-method-override", "x-http-method", "x-method-override", "forwarded", "via", "max-forwards");
    private static final List<String> REFUSED_PREFIXES = List.of("camel", "x-forwarded-", "proxy-", "sec-");
    /** Names that carry credentials by convention (X-Api-Key, X-Auth-Token, ...): use an auth profile instead. */
    private static final Pattern CREDENTIAL_NAME = Pattern.compile(
            ".*(auth|token|secret|password|passwd|api-?key|session|cookie|signature|credential).*");

    private final List<String> allowed;

    /**
     * @param allowed header names the requests may set, case-insensitive; {@code *} alone allows every name that is
     *                not refused, and {@code X-*} every name with that prefix
     */
    public HeaderPolicy(List<String> allowed) {
        this.allowed = allowed.stream().map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> s.toLowerCase(Locale.ROOT)).toList();
    }

    /** Null when the header may be sent, else why not, in words a person can act on. */
    public String refusal(String name, String value) {
        if (!NAME.matcher(name).matches()) {
            return "header name '" + printable(name) + "' is not allowed: use 1-100 letters, digits and '-'";
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (REFUSED.contains(lower) || REFUSED_PREFIXES.stream().anyMatch(lower::startsWith)) {
            return "header '" + name + "' is the service's own and cannot be set by a request";
        }
        if (CREDENTIAL_NAME.matcher(lower).matches()) {
            return "header '" + name + "' looks like a credential: credentials come from an auth profile"
                    + " (downloader.auth.<name>.*), never from a request";
        }
        if (!isAllowed(lower)) {
            return "header '" + name + "' is not on downloader.request-headers.allowed";
        }
        if (value == null || !VALUE.matcher(value).matches()) {
            return "header '" + name + "' must have a single-line value of at most 8192 printable ASCII characters";
        }
        return null;
    }

    public int maxHeaders() {
        return MAX_HEADERS;
    }

    /**
     * True when the value must never be echoed back: the name is the service's own, a credential, or too malformed
     * to tell.
     */
    public static boolean isSensitive(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return !NAME.matcher(name).matches() || REFUSED.contains(lower) || CREDENTIAL_NAME.matcher(lower).matches()
                || REFUSED_PREFIXES.stream().anyMatch(lower::startsWith);
    }

    private boolean isAllowed(String lower) {
        for (String entry : allowed) {
            if (entry.equals("*") || entry.equals(lower)
                    || (entry.endsWith("*") && lower.startsWith(entry.substring(0, entry.length() - 1)))) {
                return true;
            }
        }
        return false;
    }

    /** A header name as it may appear in a message: control characters shown as '?', at most 100 characters. */
    private static String printable(String name) {
        String shown = name.length() > 100 ? name.substring(0, 100) + "..." : name;
        return shown.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
