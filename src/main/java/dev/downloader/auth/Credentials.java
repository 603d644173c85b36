package dev.downloader.auth;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.Message;

import dev.downloader.DownloadFailure;
import dev.downloader.DownloaderConfig;
import dev.downloader.DownloaderConfig.AuthProfile;
import dev.downloader.fetch.NoProxy;
import dev.downloader.fetch.RetryableStatus;
import dev.downloader.outcome.RequestEcho;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.OidcClients;
import io.quarkus.oidc.client.Tokens;
import io.quarkus.oidc.client.runtime.TokensHelper;

/**
 * The credential profiles of configuration ({@code downloader.auth.<name>.*}), named by a request's {@code auth}.
 * A profile's credentials go only to its own hosts, as request headers set after the request's own, never through a
 * request. Secrets stay here: they are not logged, and nothing that reaches an outcome quotes them.
 */
@ApplicationScoped
@Named("credentials")
public class Credentials {

    /** The exchange property holding the OAuth2 access token a request carried, to tell a stale one after a 401. */
    public static final String TOKEN_SENT = "credentialsTokenSent";
    private static final Duration TOKEN_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, AuthProfile> profiles;
    private final Map<String, NoProxy> hosts = new ConcurrentHashMap<>();
    private final Map<String, TokensHelper> tokens = new ConcurrentHashMap<>();
    private final OidcClients oidcClients;
    private final Clock clock = Clock.systemUTC();

    public Credentials(DownloaderConfig config, OidcClients oidcClients) {
        this.profiles = config.auth();
        this.oidcClients = oidcClients;
        profiles.forEach((name, profile) -> {
            requireComplete(name, profile);
            // the same matching as no-proxy lists: an entry covers the host and its subdomains
            hosts.put(name, new NoProxy(profile.hosts()));
            if (profile.type() == AuthType.OAUTH2) {
                tokens.put(name, new TokensHelper());
            }
        });
    }

    /** Throws INVALID_REQUEST unless {@code profile} exists and may be used for {@code url}. */
    public void requireUsable(String profile, URI url) {
        if (!profiles.containsKey(profile)) {
            throw DownloadFailure.invalid("auth profile '" + profile + "' is not configured");
        }
        if (!hosts.get(profile).matches(url.getHost())) {
            throw DownloadFailure.invalid("auth profile '" + profile + "' is not for host " + url.getHost()
                    + " (downloader.auth." + profile + ".hosts)");
        }
    }

    /**
     * Adds the profile's credentials to a request for {@code method url}; nothing when the request names no profile or
     * the URL (after a redirect, say) is on another host than the profile's.
     */
    public void apply(Message in, String profile, String method, URI url) {
        if (profile == null || !hosts.get(profile).matches(url.getHost())) {
            return;
        }
        AuthProfile p = profiles.get(profile);
        switch (p.type()) {
            case BEARER -> in.setHeader("Authorization", "Bearer " + p.token().orElseThrow());
            case BASIC -> in.setHeader("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (p.username().orElseThrow() + ":" + p.password().orElse("")).getBytes(StandardCharsets.UTF_8)));
            case HEADER -> in.setHeader(p.headerName().orElseThrow(), p.headerValue().orElseThrow());
            case OAUTH2 -> {
                String token = tokens(profile, false).getAccessToken();
                in.getExchange().setProperty(TOKEN_SENT, token);
                in.setHeader("Authorization", "Bearer " + token);
            }
            case HMAC -> {
                String timestamp = Long.toString(clock.instant().getEpochSecond());
                String target = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
                if (url.getRawQuery() != null) {
                    target += "?" + url.getRawQuery();
                }
                in.setHeader(p.timestampHeader(), timestamp);
                in.setHeader(p.signatureHeader(), hmacSha256Hex(p.secret().orElseThrow(), method + target + timestamp));
                p.keyId().ifPresent(id -> in.setHeader(p.keyIdHeader(), id));
            }
        }
    }

    /**
     * After a 401 to a request that carried {@code tokenSent}: true when a retry may succeed with another token (one
     * already renewed by another request, or one renewed now); false when the profile cannot renew, or this
     * download already renewed once and was still refused.
     */
    public synchronized boolean renewAfterRejection(String profile, String tokenSent, boolean renewedBefore) {
        if (profile == null || profiles.get(profile).type() != AuthType.OAUTH2 || tokenSent == null) {
            return false;
        }
        if (!tokenSent.equals(tokens(profile, false).getAccessToken())) {
            return true;
        }
        if (renewedBefore) {
            return false;
        }
        return !tokenSent.equals(tokens(profile, true).getAccessToken());
    }

    private Tokens tokens(String profile, boolean forceNew) {
        String clientName = profiles.get(profile).oidcClient().orElse(profile);
        OidcClient client = oidcClients.getClient(clientName);
        if (client == null) {
            throw new IllegalStateException("no OIDC client '" + clientName + "' (quarkus.oidc-client." + clientName + ".*)");
        }
        try {
            return tokens.get(profile).getTokens(client, Map.of(), forceNew).await().atMost(TOKEN_TIMEOUT);
        } catch (RuntimeException e) {
            // retried like any transient failure, then HTTP_401; the message names the failure, never the secret
            throw new RetryableStatus(401, "cannot get an OAuth2 token for auth profile '" + profile + "': "
                    + RequestEcho.scrub(e.getClass().getSimpleName() + ": " + e.getMessage()), -1);
        }
    }

    private static String hmacSha256Hex(String secret, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A profile missing what its type needs stops the service at start, naming the key to set. */
    private static void requireComplete(String name, AuthProfile p) {
        List<String> missing = new java.util.ArrayList<>();
        if (p.hosts().isEmpty()) {
            missing.add("hosts");
        }
        switch (p.type()) {
            case BEARER -> need(missing, p.token(), "token");
            case BASIC -> need(missing, p.username(), "username");
            case HEADER -> {
                need(missing, p.headerName(), "header-name");
                need(missing, p.headerValue(), "header-value");
                if (p.headerName().filter(h -> !h.matches("[A-Za-z0-9-]+") || h.toLowerCase().startsWith("camel"))
                        .isPresent()) {
                    throw new IllegalStateException("auth profile '" + name + "': header-name must be an HTTP header"
                            + " name of letters, digits and '-', not a Camel header");
                }
            }
            case HMAC -> need(missing, p.secret(), "secret");
            case OAUTH2 -> {
                // the OIDC client (quarkus.oidc-client.<oidc-client or name>.*) is checked at its first use
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("auth profile '" + name + "' (type " + p.type().name().toLowerCase()
                    + ") needs downloader.auth." + name + "." + String.join(", downloader.auth." + name + ".", missing));
        }
    }

    private static void need(List<String> missing, Optional<String> value, String key) {
        if (value.isEmpty() || value.get().isBlank()) {
            missing.add(key);
        }
    }
}
