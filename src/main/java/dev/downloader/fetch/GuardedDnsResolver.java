package dev.downloader.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;

import org.apache.hc.client5.http.SystemDefaultDnsResolver;

/**
 * The HTTP client's name resolution, called for every new connection it opens: the addresses it is about to connect
 * to pass the origin guard first. So the probe, every redirect hop, every chunk and every retry is checked at the
 * address actually used, and a name that moves to an internal address mid-download is refused there. The configured
 * proxy, whose address the operator chose, is resolved unchecked.
 */
public final class GuardedDnsResolver extends SystemDefaultDnsResolver {

    private final OriginGuard guard;
    private final Set<String> trustedHosts;

    public GuardedDnsResolver(OriginGuard guard, Set<String> trustedHosts) {
        this.guard = guard;
        this.trustedHosts = trustedHosts.stream().map(OriginGuard::normalizeHost).collect(java.util.stream.Collectors.toSet());
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress[] addresses = super.resolve(host);
        if (!trustedHosts.contains(OriginGuard.normalizeHost(host))) {
            guard.checkAddresses(OriginGuard.normalizeHost(host), addresses);
        }
        return addresses;
    }
}
