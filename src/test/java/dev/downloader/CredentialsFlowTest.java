package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Credentials come from profiles in configuration (application.properties, %test): each kind reaches an origin that
 * checks it, only on the profile's hosts, and no secret appears in an outcome, a meta file or the log.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class CredentialsFlowTest extends FlowSupport {

    static final String BASIC_ENCODED = Base64.getEncoder()
            .encodeToString("svc:basic-secret-3a4b".getBytes(StandardCharsets.UTF_8));
    static final List<String> SECRETS = List.of("bearer-secret-1f2e", "basic-secret-3a4b", "header-secret-5c6d",
            "hmac-secret-7e8f", "oauth-client-secret-9a0b", "oauth-down-secret-2c3d", BASIC_ENCODED);

    static TestOrigin tokenServer;
    static TestOrigin.TokenEndpoint tokens;

    @BeforeAll
    static void startTokenServer() throws Exception {
        mapHost("auth.test", "127.0.0.1");
        tokenServer = new TestOrigin(ConfigProvider.getConfig().getValue("test.oauth.port", Integer.class));
        tokens = tokenServer.tokenEndpoint("/token", 3600);
    }

    @AfterAll
    static void stopTokenServer() {
        tokenServer.close();
    }

    @Test
    void bearerBasicAndHeaderProfilesReachTheOriginThatChecksThem() throws Exception {
        assertDownloads("bearer-files", r -> "Bearer bearer-secret-1f2e".equals(r.header("Authorization")));
        assertDownloads("basic-files", r -> ("Basic " + BASIC_ENCODED).equals(r.header("Authorization")));
        assertDownloads("key-files", r -> "header-secret-5c6d".equals(r.header("X-Files-Key"))
                && r.header("Authorization") == null);
    }

    @Test
    void hmacSignsMethodPathAndTimestamp() throws Exception {
        assertDownloads("hmac-files", r -> {
            String timestamp = r.header("X-Timestamp");
            return timestamp != null && "downloader-1".equals(r.header("X-Key-Id"))
                    && hmac("hmac-secret-7e8f", r.method() + r.target() + timestamp).equals(r.header("X-Signature"))
                    && Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(timestamp)) < 60;
        });
    }

    @Test
    void anOAuth2TokenIsCachedAndRenewedOnceAfterA401() throws Exception {
        assertDownloads("oauth-files", r -> ("Bearer " + tokens.current()).equals(r.header("Authorization")));
        int afterFirst = tokens.issued.get();
        assertTrue(afterFirst >= 1);
        assertDownloads("oauth-files", r -> ("Bearer " + tokens.current()).equals(r.header("Authorization")));
        assertEquals(afterFirst, tokens.issued.get(), "the second download used the cached token");

        tokens.revoke();
        JsonNode renewed = assertDownloads("oauth-files",
                r -> ("Bearer " + tokens.current()).equals(r.header("Authorization")));
        assertEquals(afterFirst + 1, tokens.issued.get(), "renewed once after the 401");
        assertTrue(renewed.path("retries").asInt() >= 1, renewed.toString());
    }

    @Test
    void anOAuth2TokenRefusedWith403IsRenewedOnceThenA403ThatStaysIsFatal() throws Exception {
        assertDownloads("oauth-files", r -> ("Bearer " + tokens.current()).equals(r.header("Authorization")));
        int before = tokens.issued.get();
        tokens.revoke();
        String id = "auth-403-" + System.nanoTime();
        byte[] content = randomBytes(150_000, 71);
        origin.serve("/auth/" + id + ".bin", content)
                .requiring(r -> ("Bearer " + tokens.current()).equals(r.header("Authorization")), 403);

        JsonNode renewed = request(id, origin.url("auth.test", "/auth/" + id + ".bin"), "oauth-files");

        assertEquals("COMPLETED", renewed.path("status").asText(), renewed.toString());
        assertEquals(before + 1, tokens.issued.get(), "renewed once after the 403");

        origin.serve("/auth/forbidden.bin", randomBytes(1000, 72)).requiring(r -> false, 403);
        JsonNode letter = request("auth-forbidden", origin.url("auth.test", "/auth/forbidden.bin"), "oauth-files");
        assertEquals("HTTP_403", letter.path("error").path("code").asText(), letter.toString());
        assertFalse(letter.path("error").path("retryable").asBoolean(), letter.toString());
    }

    @Test
    void anExpiredOAuth2TokenIsRenewedBeforeItIsSent() throws Exception {
        tokens.expiresIn = 1;
        tokens.revoke();
        assertDownloads("oauth-files", r -> ("Bearer " + tokens.current()).equals(r.header("Authorization")));
        int issued = tokens.issued.get();
        tokens.expiresIn = 3600;
        Thread.sleep(2000);

        JsonNode result = assertDownloads("oauth-files",
                r -> ("Bearer " + tokens.current()).equals(r.header("Authorization")));

        assertEquals(issued + 1, tokens.issued.get(), "a new token for the expired one");
        assertEquals(0, result.path("retries").asInt(), "renewed before sending, not after a 401: " + result);
    }

    @Test
    void aTokenTheOriginKeepsRefusingEndsAsHttp401() {
        origin.serve("/auth/refused.bin", randomBytes(1000, 70)).requiring(r -> false);

        JsonNode letter = request("auth-refused", origin.url("auth.test", "/auth/refused.bin"), "oauth-files");

        assertEquals("HTTP_401", letter.path("error").path("code").asText(), letter.toString());
    }

    @Test
    void aTokenEndpointThatIsDownIsRetriedThenHttp401() {
        origin.serve("/auth/nodown.bin", randomBytes(1000, 73));

        JsonNode letter = request("auth-token-down", origin.url("auth.test", "/auth/nodown.bin"), "oauth-down");

        assertEquals("HTTP_401", letter.path("error").path("code").asText(), letter.toString());
        assertTrue(letter.path("error").path("retryable").asBoolean(), letter.toString());
        assertTrue(letter.path("error").path("message").asText().contains("cannot get an OAuth2 token"), letter.toString());
        assertTrue(origin.seen("/auth/nodown.bin").isEmpty(), "nothing is sent without the token");
    }

    @Test
    void aProfileIsRefusedForAHostItIsNotFor() {
        JsonNode letter = request("auth-other-host", origin.url("/auth/any.bin"), "bearer-files");

        assertEquals("INVALID_REQUEST", letter.path("error").path("code").asText(), letter.toString());
        assertTrue(letter.path("error").path("message").asText().contains("not for host 127.0.0.1"), letter.toString());
        assertTrue(origin.seen("/auth/any.bin").isEmpty());
    }

    @Test
    void credentialsDoNotFollowARedirectToAnotherHost() throws Exception {
        byte[] content = randomBytes(20_000, 71);
        origin.serve("/auth/elsewhere.bin", content);
        origin.serve("/auth/moved.bin", new byte[0]).redirecting(302, origin.url("/auth/elsewhere.bin"));

        JsonNode result = request("auth-redirect", origin.url("auth.test", "/auth/moved.bin"), "bearer-files");

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertEquals("Bearer bearer-secret-1f2e", origin.seen("/auth/moved.bin").get(0).header("Authorization"));
        origin.seen("/auth/elsewhere.bin").forEach(r -> assertNull(r.header("Authorization"), r.toString()));
    }

    @Test
    void noSecretAppearsInOutcomesMetaFilesOrTheLog() throws Exception {
        origin.serve("/auth/denied.bin", randomBytes(1000, 72)).requiring(r -> false);
        for (String profile : new String[] {"bearer-files", "basic-files", "key-files", "hmac-files"}) {
            request("leak-" + profile, origin.url("auth.test", "/auth/denied.bin"), profile);
        }

        for (TestKafka.Outcome outcome : TestKafka.get().outcomes(o -> true)) {
            SECRETS.forEach(secret -> assertFalse(outcome.json().toString().contains(secret), outcome.toString()));
        }
        try (Stream<Path> metas = Files.list(dataDir().resolve("meta"))) {
            for (Path meta : metas.toList()) {
                String text = Files.readString(meta);
                SECRETS.forEach(secret -> assertFalse(text.contains(secret), meta.toString()));
            }
        }
        String log = Files.readString(Path.of("target/quarkus.log"));
        assertTrue(log.contains("leak-hmac-files"), "the log is the service's");
        SECRETS.forEach(secret -> assertFalse(log.contains(secret), "the log shows " + secret));
    }

    private JsonNode assertDownloads(String profile, java.util.function.Predicate<TestOrigin.Seen> check)
            throws Exception {
        String id = profile + "-" + System.nanoTime();
        byte[] content = randomBytes(150_000, id.hashCode());
        String path = "/auth/" + id + ".bin";
        origin.serve(path, content).requiring(check);

        JsonNode result = request(id, origin.url("auth.test", path), profile);

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        assertTrue(origin.seen(path).size() >= 3, "probe and ranged GETs: " + origin.seen(path));
        return result;
    }

    private static JsonNode request(String id, String url, String profile) {
        return outcome(id, url, ", \"auth\": \"" + profile + "\", \"connections\": 2");
    }

    private static String hmac(String secret, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
