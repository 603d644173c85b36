package dev.downloader.fetch;

import java.net.Inet4Address;
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
 * or otherwise internal addresses unless configured. Names are checked for the request URL and every redirect hop;
 * addresses are checked where the connection is actually made ({@link GuardedDnsResolver}), for every connection of
 * the probe, the redirects, every chunk and every retry, so a name that starts resolving to an internal address
 * half-way through a download is refused.
 */
public final class OriginGuard {

    private final boolean allowPrivate;
    private final List<Cidr> allowedPrivateNetworks;
    private final List<String> allowedHosts;
    private final List<String> deniedHosts;
    private final boolean allowHttpsToHttp;

    public OriginGuard(boolean allowPrivate, List<String> allowedPrivateNetworks, List<String> allowedHosts,
            List<String> deniedHosts, boolean allowHttpsToHttp) {
        this.allowPrivate = allowPrivate;
        this.allowedPrivateNetworks = allowedPrivateNetworks.stream().map(Cidr::parse).toList();
        this.allowedHosts = allowedHosts.stream().map(OriginGuard::normalizeEntry).toList();
        this.deniedHosts = deniedHosts.stream().map(OriginGuard::normalizeEntry).toList();
        this.allowHttpsToHttp = allowHttpsToHttp;
    }

    /**
     * Checks a URL before it is fetched: its host against the lists, and what the name resolves to now. The address
     * check is repeated on every connection; this early one gives a clear answer before any request is made.
     *
     * @throws UnknownHostException when the name does not resolve: a network failure, retried as such
     */
    public void check(URI url) throws UnknownHostException {
        String host = checkName(url.getHost());
        // resolved as written, as the HTTP client will (a trailing dot is meaningful to DNS)
        checkAddresses(host, InetAddress.getAllByName(url.getHost()));
    }

    /** A redirect from {@code from} to {@code to}: https may not lead to plain http unless configured. */
    public void checkRedirect(URI from, URI to) throws UnknownHostException {
        if ("https".equalsIgnoreCase(from.getScheme()) && "http".equalsIgnoreCase(to.getScheme()) && !allowHttpsToHttp) {
            throw new DownloadFailure(ErrorCode.ORIGIN_NOT_ALLOWED, "redirect from https to plain http (" + to.getHost()
                    + ") refused; set downloader.origin.allow-https-to-http-redirect=true to allow it");
        }
        check(to);
    }

    /** Checks a host name against the deny and allow lists; returns it normalised. */
    public String checkName(String rawHost) {
        String host = normalizeHost(rawHost);
        if (matchesAny(host, deniedHosts)) {
            throw new DownloadFailure(ErrorCode.ORIGIN_NOT_ALLOWED, "host " + host + " is on the denied-hosts list");
        }
        if (!allowedHosts.isEmpty() && !matchesAny(host, allowedHosts)) {
            throw new DownloadFailure(ErrorCode.ORIGIN_NOT_ALLOWED, "host " + host + " is not on the allowed-hosts list");
        }
        return host;
    }

    /** Refuses the connection when any address the name resolved to is internal and not allowed. */
    public void checkAddresses(String host, InetAddress[] addresses) {
        if (allowPrivate) {
            return;
        }
        for (InetAddress address : addresses) {
            if (isInternal(address) && allowedPrivateNetworks.stream().noneMatch(n -> n.contains(address))) {
                throw new DownloadFailure(ErrorCode.ORIGIN_NOT_ALLOWED, "host " + host
                        + " resolves to the internal address " + address.getHostAddress()
                        + " (allow it with downloader.origin.allowed-private-networks or"
                        + " downloader.origin.allow-private=true)");
            }
        }
    }

    /** Lower case, without IPv6 brackets or the trailing dot of a fully qualified name. */
    static String normalizeHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        while (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    private static String normalizeEntry(String entry) {
        String trimmed = entry.trim();
        return trimmed.startsWith(".") ? "." + normalizeHost(trimmed.substring(1)) : normalizeHost(trimmed);
    }

    static boolean isInternal(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet6Address) {
            // addresses that carry an IPv4 address reach that address: ::ffff:10.0.0.1, 64:ff9b::10.0.0.1, 2002:0a00:0001::
            if (isMappedOrCompatibleV4(b) || startsWith(b, 0x00, 0x64, 0xff, 0x9b)) {
                return isInternal(v4(b, 12));
            }
            if (startsWith(b, 0x20, 0x02)) {
                return isInternal(v4(b, 2));
            }
            return (b[0] & 0xfe) == 0xfc; // fc00::/7 unique local
        }
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        return first == 0 || (first == 100 && second >= 64 && second < 128) // 100.64/10 carrier-grade NAT
                || (first == 192 && second == 0 && (b[2] & 0xff) == 0) // 192.0.0/24 IETF protocol assignments
                || (first == 198 && (second == 18 || second == 19)) || first >= 240;
    }

    private static boolean isMappedOrCompatibleV4(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] == (byte) 0xff && b[11] == (byte) 0xff) || (b[10] == 0 && b[11] == 0);
    }

    private static boolean startsWith(byte[] b, int... prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xff) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static InetAddress v4(byte[] b, int at) {
        try {
            return Inet4Address.getByAddress(new byte[] {b[at], b[at + 1], b[at + 2], b[at + 3]});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
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

    /** An address range such as 10.1.0.0/16 or fd00::/8; a bare address is a range of one. */
    record Cidr(byte[] network, int prefix) {

        static Cidr parse(String text) {
            String t = text.trim();
            int slash = t.indexOf('/');
            String address = slash < 0 ? t : t.substring(0, slash);
            if (!address.matches("[0-9a-fA-F:.]+")) {
                // a name here would be resolved by DNS, which is what this list must not depend on
                throw new IllegalArgumentException("not an IP address range: " + text);
            }
            byte[] network;
            try {
                network = InetAddress.getByName(address).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address range: " + text, e);
            }
            int prefix = slash < 0 ? network.length * 8 : Integer.parseInt(t.substring(slash + 1));
            if (prefix < 0 || prefix > network.length * 8) {
                throw new IllegalArgumentException("prefix out of range in " + text);
            }
            return new Cidr(network, prefix);
        }

        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >>> (bit % 8);
                if ((a[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }
}
