package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;


import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestProxy;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * TLS is verified against the configured trust store, never silently trusted, and a configured proxy carries the
 * requests it should and none of those on the no-proxy list. Real HTTPS origins with generated certificates, a real
 * forwarding proxy.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class TlsAndProxyFlowTest extends FlowSupport {

    static TestOrigin trusted;
    static TestOrigin untrusted;
    static TestProxy proxy;

    @BeforeAll
    static void startTlsOriginsAndProxy() throws Exception {
        trusted = new TestOrigin(0, serverContext("trusted"));
        untrusted = new TestOrigin(0, serverContext("untrusted"));
        proxy = new TestProxy(URI.create(ConfigProvider.getConfig().getValue("downloader.proxy.url", String.class))
                .getPort());
        mapHost("secure.test", "127.0.0.1");
        mapHost("mismatch.test", "127.0.0.1");
        mapHost("files.proxied.example", "127.0.0.1");
        mapHost("secure.proxied.example", "127.0.0.1");
    }

    @AfterAll
    static void stopThem() {
        trusted.close();
        untrusted.close();
        proxy.close();
    }

    @Test
    void anOriginWhoseCertificateIsInTheTrustStoreIsFetched() throws Exception {
        byte[] content = randomBytes(300_000, 60);
        trusted.serve("/tls/a.bin", content);

        JsonNode result = outcome("tls-ok", trusted.url("secure.test", "/tls/a.bin"), ", \"connections\": 3");

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
    }

    @Test
    void anUntrustedCertificateIsRefused() {
        untrusted.serve("/tls/b.bin", randomBytes(1000, 61));

        JsonNode letter = outcome("tls-untrusted", untrusted.url("secure.test", "/tls/b.bin"), "");

        assertEquals("NETWORK", letter.path("error").path("code").asText(), letter.toString());
        assertFalse(letter.path("error").path("retryable").asBoolean(), letter.toString());
        assertTrue(letter.path("error").path("message").asText().startsWith("TLS:"), letter.toString());
        assertTrue(untrusted.seen("/tls/b.bin").isEmpty(), "no request crossed the failed handshake");
    }

    @Test
    void aCertificateForAnotherHostIsRefused() {
        trusted.serve("/tls/c.bin", randomBytes(1000, 62));

        JsonNode letter = outcome("tls-mismatch", trusted.url("mismatch.test", "/tls/c.bin"), "");

        assertEquals("NETWORK", letter.path("error").path("code").asText(), letter.toString());
        assertTrue(letter.path("error").path("message").asText().startsWith("TLS:"), letter.toString());
        assertTrue(trusted.seen("/tls/c.bin").isEmpty(), "no request crossed the failed handshake");
    }

    @Test
    void httpsDoesNotRedirectToPlainHttp() {
        origin.serve("/plain/d.bin", randomBytes(1000, 63));
        trusted.serve("/tls/d.bin", new byte[0]).redirecting(302, origin.url("/plain/d.bin"));

        JsonNode letter = outcome("tls-downgrade", trusted.url("secure.test", "/tls/d.bin"), "");

        assertEquals("ORIGIN_NOT_ALLOWED", letter.path("error").path("code").asText(), letter.toString());
        assertTrue(origin.seen("/plain/d.bin").isEmpty());
    }

    @Test
    void theProxyCarriesWhatIsNotOnTheNoProxyList() throws Exception {
        byte[] content = randomBytes(200_000, 64);
        origin.serve("/proxy/e.bin", content);
        trusted.serve("/proxy/f.bin", content);

        JsonNode viaProxy = outcome("proxy-http", origin.url("files.proxied.example", "/proxy/e.bin"),
                ", \"connections\": 2");
        JsonNode tunnelled = outcome("proxy-https", trusted.url("secure.proxied.example", "/proxy/f.bin"), "");
        JsonNode direct = outcome("proxy-direct", origin.url("/proxy/e.bin"), ", \"target\": \"direct/e.bin\"");

        for (JsonNode result : new JsonNode[] {viaProxy, tunnelled, direct}) {
            assertEquals("COMPLETED", result.path("status").asText(), result.toString());
            assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        }
        String hostPort = "files.proxied.example:" + origin.port();
        // the probe's GET and at least one range after it
        assertTrue(proxy.requestLines.stream().filter(l -> l.startsWith("GET http://" + hostPort + "/proxy/e.bin"))
                .count() >= 2, proxy.requestLines.toString());
        assertTrue(proxy.requestLines.contains("CONNECT secure.proxied.example:" + trusted.port() + " HTTP/1.1"),
                proxy.requestLines.toString());
        assertTrue(proxy.requestLines.stream().noneMatch(l -> l.contains("127.0.0.1") || l.contains(".test")),
                "no-proxy hosts went direct: " + proxy.requestLines);
    }
}
