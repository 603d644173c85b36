package dev.downloader.fetch;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

import dev.downloader.DownloadFailure;
import dev.downloader.ErrorCode;

/**
 * Decides whether the service may connect to an origin: host allow/deny lists, and no loopback, private, link-local
 * or otherwise internal addresses unless configured. Checked for the request URL and every redirect hop.
 */
public final class OriginGuard {

    private final boolean allowPrivate;
    private final List<String> allowedHosts;
    private final List<String> deniedHosts;

    public OriginGuard(boolean allowPrivate, List<String> allowedHosts, List<String> deniedHosts) {
        this.allowPrivate = allowPrivate;
        this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        this.deniedHosts = deniedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
    }

    public void check(URI url) {
        String host = url.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (matchesAny(host, deniedHosts)) {
            throw new DownloadFailure(ErrorCode.ORIGIN_NOT_ALLOWED, "host " + host + " is on the denied-hosts list");
        }
        if (!allowedHosts.isEmpty() && !matchesAny(host, allowedHosts)) {
            throw new DownloadFailure(ErrorCode.ORIGIN_NOT_ALLOWED, "host " + host + " is not on the allowed-hosts list");
        }
        if (allowPrivate) {
            return;
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new DownloadFailure(ErrorCode.NETWORK.name(), "cannot resolve host " + host, null, true, e);
        }
        for (InetAddress address : addresses) {
            if (isInternal(address)) {
                throw new DownloadFailure(ErrorCode.ORIGIN_NOT_ALLOWED, "host " + host + " resolves to the internal address "
                        + address.getHostAddress() + " (set downloader.origin.allow-private=true to allow it)");
            }
        }
    }

    static boolean isInternal(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet6Address) {
            return (b[0] & 0xfe) == 0xfc; // fc00::/7 unique local
        }
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        return first == 0 || (first == 100 && second >= 64 && second < 128) // 100.64/10 carrier-grade NAT
                || (first == 198 && (second == 18 || second == 19)) || first >= 240;
    }

    /** An entry matches the host itself, and with a leading dot any subdomain of it. */
    private static boolean matchesAny(String host, List<String> entries) {
        for (String entry : entries) {
            if (entry.startsWith(".") ? host.endsWith(entry) || host.equals(entry.substring(1)) : host.equals(entry)) {
                return true;
            }
        }
        return false;
    }
}
