package dev.downloader.fetch;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLContext;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.routing.DefaultProxyRoutePlanner;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.client5.http.ssl.HttpsSupport;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.util.Timeout;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import dev.downloader.DownloaderConfig;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;

/**
 * How the service connects to origins, handed to camel-http as its connection manager and client configurer: every
 * connection waits for one of its host's budget ({@link OriginHosts}); every new one resolves through the origin guard; TLS trusts what the Quarkus TLS configuration named by
 * {@code downloader.origin.tls-configuration-name} says (the JDK's CAs when there is none); a configured proxy is used
 * except for the no-proxy hosts.
 */
@ApplicationScoped
public class OriginConnections {

    private static final Logger LOG = Logger.getLogger(OriginConnections.class);

    @Produces
    @Singleton
    @Named("originConnectionManager")
    HttpClientConnectionManager connectionManager(OriginGuard guard, OriginHosts hosts, DownloaderConfig config,
            TlsConfigurationRegistry tls,
            @ConfigProperty(name = "camel.component.http.connections-per-route") int perRoute,
            @ConfigProperty(name = "camel.component.http.max-total-connections") int total,
            @ConfigProperty(name = "camel.component.http.connect-timeout") long connectTimeoutMs,
            @ConfigProperty(name = "camel.component.http.so-timeout") long soTimeoutMs) throws Exception {
        Set<String> proxyHost = config.proxy().url().map(u -> Set.of(u.getHost())).orElse(Set.of());
        return new HostBudgetConnections(PoolingHttpClientConnectionManagerBuilder.create()
                .setDnsResolver(new GuardedDnsResolver(guard, proxyHost))
                .setTlsSocketStrategy(tlsStrategy(config.origin().tlsConfigurationName(),
                        tls.get(config.origin().tlsConfigurationName())))
                .setMaxConnPerRoute(perRoute)
                .setMaxConnTotal(total)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.ofMilliseconds(connectTimeoutMs))
                        .setSocketTimeout(Timeout.ofMilliseconds(soTimeoutMs)).build())
                .setDefaultSocketConfig(SocketConfig.custom().setSoTimeout(Timeout.ofMilliseconds(soTimeoutMs)).build())
                .build(), hosts);
    }

    /** Routes requests through the configured proxy, except to the no-proxy hosts. */
    @Produces
    @Singleton
    @Named("originClientConfigurer")
    HttpClientConfigurer clientConfigurer(DownloaderConfig config) {
        Optional<URI> proxy = config.proxy().url();
        if (proxy.isEmpty()) {
            return builder -> {
            };
        }
        URI url = proxy.get();
        HttpHost proxyHost = new HttpHost(url.getScheme(), url.getHost(),
                url.getPort() > 0 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80);
        NoProxy direct = new NoProxy(config.proxy().noProxy().orElse(List.of()));
        LOG.infof("origins are reached through the proxy %s, except %s", proxyHost.toHostString(),
                config.proxy().noProxy().orElse(List.of()));
        return builder -> {
            builder.setRoutePlanner(new DefaultProxyRoutePlanner(proxyHost) {
                @Override
                protected HttpHost determineProxy(HttpHost target, org.apache.hc.core5.http.protocol.HttpContext context) {
                    return direct.matches(target.getHostName()) ? null : proxyHost;
                }
            });
            if (config.proxy().username().isPresent()) {
                BasicCredentialsProvider credentials = new BasicCredentialsProvider();
                credentials.setCredentials(new AuthScope(proxyHost), new UsernamePasswordCredentials(
                        config.proxy().username().get(), config.proxy().password().orElse("").toCharArray()));
                builder.setDefaultCredentialsProvider(credentials);
            }
        };
    }

    private static DefaultClientTlsStrategy tlsStrategy(String name, Optional<TlsConfiguration> configured)
            throws Exception {
        if (configured.isEmpty()) {
            return new DefaultClientTlsStrategy(SSLContext.getDefault(), HttpsSupport.getDefaultHostnameVerifier());
        }
        TlsConfiguration tls = configured.get();
        boolean verifyHost = !tls.getHostnameVerificationAlgorithm().map("NONE"::equalsIgnoreCase).orElse(false);
        if (tls.isTrustAll()) {
            LOG.warnf("TLS certificates of origins are NOT verified (quarkus.tls.%s.trust-all=true): any server can"
                    + " pose as any origin. Use a trust store (quarkus.tls.%s.trust-store.*) instead.", name, name);
        }
        if (!verifyHost) {
            LOG.warnf("TLS host names of origins are NOT verified (quarkus.tls.%s.hostname-verification-algorithm=NONE)",
                    name);
        }
        HostnameVerifier verifier = verifyHost ? HttpsSupport.getDefaultHostnameVerifier() : NoopHostnameVerifier.INSTANCE;
        return new DefaultClientTlsStrategy(tls.createSSLContext(), verifier);
    }
}
