package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The hostile-request corpus: each request, sent through Kafka as an attacker would, ends as exactly one dead letter
 * with its code; none of them reaches the origin with anything it asked for, none of their secrets comes back, and
 * the service goes on to complete a good request after them.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class HostileRequestsFlowTest extends FlowSupport {

    /** {@code %URL%} is replaced by an origin URL of the case's own; {@code contacts} says whether the origin may be asked at all. */
    record Case(String name, String code, String json, boolean contacts) {
        static Case of(String name, String code, String json) {
            return new Case(name, code, json, false);
        }
    }

    private static final String SECRET = "s3cr3t-never-echoed";

    static List<Case> corpus() {
        List<Case> cases = new ArrayList<>();
        // the four holes reported against the service
        cases.add(Case.of("camel-uri-header", "INVALID_REQUEST",
                "{'url': '%URL%', 'headers': {'CamelHttpUri': 'http://127.0.0.1:%PORT%/stolen'}}"));
        cases.add(Case.of("camel-method-header", "INVALID_REQUEST",
                "{'url': '%URL%', 'headers': {'CamelHttpMethod': 'DELETE'}}"));
        cases.add(Case.of("placeholder-in-uri-header", "INVALID_REQUEST",
                "{'url': '%URL%', 'headers': {'CamelHttpUri': 'http://127.0.0.1:%PORT%/leak-{{env:HOME}}'}}"));
        cases.add(Case.of("password-in-url", "INVALID_REQUEST", "{'url': 'http://user:" + SECRET + "@127.0.0.1:%PORT%/x'}"));
        // header injection in every form
        for (String name : new String[] {"camelhttpuri", "CAMELHTTPPATH", "CamelHttpQuery", "CamelHttpRawQuery",
                "CamelRedeliveryDelay", "CamelHttpResponseCode", "Host", "Range", "If-Range", "Accept-Encoding",
                "Transfer-Encoding", "Content-Length", "Connection", "Upgrade", "TE", "Expect", "If-None-Match",
                "X-HTTP-Method-Override", "X-Forwarded-Host", "Forwarded", "Proxy-Connection"}) {
            cases.add(Case.of("header-" + name, "INVALID_REQUEST", "{'url': '%URL%', 'headers': {'" + name + "': 'x'}}"));
        }
        for (String name : new String[] {"Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key", "X-Auth-Token"}) {
            cases.add(Case.of("credential-header-" + name, "INVALID_REQUEST",
                    "{'url': '%URL%', 'headers': {'" + name + "': 'Bearer " + SECRET + "'}}"));
        }
        cases.add(Case.of("header-crlf-injection", "INVALID_REQUEST",
                "{'url': '%URL%', 'headers': {'X-A': 'a\\r\\nCamelHttpMethod: DELETE'}}"));
        cases.add(Case.of("header-nul", "INVALID_REQUEST", "{'url': '%URL%', 'headers': {'X-A': 'a\\u0000b'}}"));
        cases.add(Case.of("header-name-space", "INVALID_REQUEST", "{'url': '%URL%', 'headers': {'X Bad': 'x'}}"));
        cases.add(Case.of("header-name-colon", "INVALID_REQUEST", "{'url': '%URL%', 'headers': {'X-Bad:': 'x'}}"));
        cases.add(Case.of("header-name-kafka", "INVALID_REQUEST", "{'url': '%URL%', 'headers': {'kafka.KEY': 'x'}}"));
        cases.add(Case.of("header-name-unicode", "INVALID_REQUEST", "{'url': '%URL%', 'headers': {'X-\u00c4': 'x'}}"));
        cases.add(Case.of("header-not-allowed", "INVALID_REQUEST", "{'url': '%URL%', 'headers': {'Destination': 'x'}}"));
        cases.add(Case.of("header-object-value", "INVALID_REQUEST", "{'url': '%URL%', 'headers': {'X-A': {'b': 1}}}"));
        cases.add(Case.of("headers-not-object", "INVALID_REQUEST", "{'url': '%URL%', 'headers': ['X-A: b']}"));
        cases.add(Case.of("too-many-headers", "INVALID_REQUEST", "{'url': '%URL%', 'headers': {"
                + IntStream.range(0, 51).mapToObj(i -> "'X-H" + i + "': 'v'").collect(Collectors.joining(", ")) + "}}"));
        cases.add(Case.of("header-value-too-long", "INVALID_REQUEST",
                "{'url': '%URL%', 'headers': {'X-A': '" + "v".repeat(9000) + "'}}"));
        // URLs
        cases.add(Case.of("port-out-of-range", "INVALID_REQUEST", "{'url': 'http://127.0.0.1:99999/x'}"));
        cases.add(Case.of("port-zero", "INVALID_REQUEST", "{'url': 'http://127.0.0.1:0/x'}"));
        cases.add(Case.of("scheme-ftp", "UNSUPPORTED_SCHEME", "{'url': 'ftp://127.0.0.1/x'}"));
        cases.add(Case.of("scheme-file", "UNSUPPORTED_SCHEME", "{'url': 'file:///etc/passwd'}"));
        cases.add(Case.of("scheme-jar", "UNSUPPORTED_SCHEME", "{'url': 'jar:http://127.0.0.1/x.jar!/a'}"));
        cases.add(Case.of("mirror-scheme-gopher", "UNSUPPORTED_SCHEME",
                "{'url': '%URL%', 'mirrors': ['gopher://127.0.0.1:70/_x']}"));
        cases.add(Case.of("placeholder-in-url", "INVALID_REQUEST", "{'url': 'http://127.0.0.1:%PORT%/{{env:HOME}}'}"));
        cases.add(Case.of("url-too-long", "INVALID_REQUEST", "{'url': '%URL%?" + "q".repeat(9000) + "'}"));
        cases.add(Case.of("url-no-host", "INVALID_REQUEST", "{'url': 'http:///x'}"));
        cases.add(Case.of("url-underscore-host", "INVALID_REQUEST", "{'url': 'http://bad_host.example/x'}"));
        cases.add(Case.of("url-number", "INVALID_REQUEST", "{'url': 42}"));
        cases.add(Case.of("metadata-address", "ORIGIN_NOT_ALLOWED", "{'url': 'http://169.254.169.254/latest/meta-data/'}"));
        cases.add(Case.of("private-address", "ORIGIN_NOT_ALLOWED", "{'url': 'http://10.0.0.1:%PORT%/x'}"));
        cases.add(Case.of("other-loopback", "ORIGIN_NOT_ALLOWED", "{'url': 'http://127.0.0.2:%PORT%/x'}"));
        cases.add(Case.of("ipv6-loopback", "ORIGIN_NOT_ALLOWED", "{'url': 'http://[::1]:%PORT%/x'}"));
        cases.add(Case.of("ipv4-mapped-loopback", "ORIGIN_NOT_ALLOWED", "{'url': 'http://[::ffff:127.0.0.2]:%PORT%/x'}"));
        cases.add(Case.of("any-address", "ORIGIN_NOT_ALLOWED", "{'url': 'http://0.0.0.0:%PORT%/x'}"));
        // redirects the origin answers with
        cases.add(new Case("redirect-to-metadata", "ORIGIN_NOT_ALLOWED", "{'url': '%URL%', '@redirect': "
                + "'http://169.254.169.254/latest/meta-data/'}", true));
        cases.add(new Case("redirect-to-file", "UNSUPPORTED_SCHEME", "{'url': '%URL%', '@redirect': 'file:///etc/passwd'}",
                true));
        cases.add(new Case("redirect-unparsable", "HTTP_302", "{'url': '%URL%', '@redirect': 'http://[broken'}", true));
        cases.add(new Case("redirect-no-host", "HTTP_302", "{'url': '%URL%', '@redirect': 'http:///nohost'}", true));
        cases.add(new Case("redirect-bad-port", "HTTP_302", "{'url': '%URL%', '@redirect': 'http://127.0.0.1:70000/x'}",
                true));
        cases.add(new Case("redirect-loop", "HTTP_302", "{'url': '%URL%', '@redirect': '%URL%'}", true));
        // targets
        for (String target : new String[] {"../../etc/passwd", "/etc/passwd", "TMP/x.part", "Meta/x.json", "a/./b",
                "a\\\\b", "a/\\u202Egnp.exe", "a/\\u0000b", "kafka/x", "DOWNLOADS.mv.db", "a//b", "x/"}) {
            cases.add(Case.of("target-" + target, "TARGET_NOT_ALLOWED", "{'url': '%URL%', 'target': '" + target + "'}"));
        }
        // the rest of the request
        cases.add(Case.of("id-traversal", "INVALID_REQUEST", "{'id': '../../x', 'url': '%URL%'}"));
        cases.add(Case.of("id-too-long", "INVALID_REQUEST", "{'id': '" + "i".repeat(201) + "', 'url': '%URL%'}"));
        cases.add(Case.of("trailing-json", "INVALID_REQUEST", "{'url': '%URL%'} {'url': '%URL%'}"));
        cases.add(Case.of("duplicate-key", "INVALID_REQUEST", "{'url': '%URL%', 'url': 'http://169.254.169.254/'}"));
        cases.add(Case.of("size-negative", "INVALID_REQUEST", "{'url': '%URL%', 'size': -1}"));
        cases.add(Case.of("chunk-size-huge", "INVALID_REQUEST", "{'url': '%URL%', 'chunkSize': 1e30}"));
        cases.add(Case.of("connections-fraction", "INVALID_REQUEST", "{'url': '%URL%', 'connections': 1.5}"));
        cases.add(Case.of("priority-text", "INVALID_REQUEST", "{'url': '%URL%', 'priority': 'high'}"));
        cases.add(Case.of("overwrite-text", "INVALID_REQUEST", "{'url': '%URL%', 'overwrite': 'yes'}"));
        cases.add(Case.of("checksum-too-long", "INVALID_REQUEST",
                "{'url': '%URL%', 'checksum': {'algorithm': 'MD5', 'value': '" + "a".repeat(33) + "'}}"));
        cases.add(Case.of("unknown-auth-profile", "INVALID_REQUEST", "{'url': '%URL%', 'auth': 'no-such-profile'}"));
        cases.add(Case.of("too-many-mirrors", "INVALID_REQUEST", "{'url': '%URL%', 'mirrors': ["
                + IntStream.range(0, 17).mapToObj(i -> "'%URL%'").collect(Collectors.joining(", ")) + "]}"));
        return cases;
    }

    @Test
    void everyHostileRequestEndsAsOneDeadLetterWithItsCode() throws Exception {
        List<Case> corpus = corpus();
        assertTrue(corpus.size() >= 40, "the corpus has " + corpus.size() + " cases");
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < corpus.size(); i++) {
            Case c = corpus.get(i);
            String path = "/hostile/" + i + ".bin";
            String url = origin.url(path);
            String json = c.json().replace("%URL%", url).replace("%PORT%", Integer.toString(origin.port()))
                    .replace('\'', '"');
            if (json.contains("\"@redirect\"")) {
                String location = json.replaceAll("(?s).*\"@redirect\": \"([^\"]*)\".*", "$1");
                origin.serve(path, new byte[10]).redirecting(302, location);
                json = json.replaceAll(", \"@redirect\": \"[^\"]*\"", "");
            } else {
                origin.serve(path, randomBytes(1000, i));
            }
            Matcher ownId = Pattern.compile("\"id\": \"([^\"]*)\"").matcher(json);
            boolean hasOwnId = ownId.find();
            String key = hasOwnId ? ownId.group(1) : "hostile-" + i;
            if (!hasOwnId) {
                json = "{\"id\": \"" + key + "\", " + json.substring(1);
            }
            keys.add(key);
            TestKafka.get().send(key, json);
        }
        byte[] good = randomBytes(200_000, 99);
        origin.serve("/hostile/good.bin", good);
        TestKafka.get().send("hostile-good", """
                {"id": "hostile-good", "url": "%s", "headers": {"X-Trace": "{{env:HOME}} ${sys:user.home}"},
                 "target": "literal/{{env:HOME}}-${sys:user.home}.bin",
                 "checksum": {"algorithm": "SHA-256", "value": "%s"}}""".formatted(origin.url("/hostile/good.bin"),
                sha256(good)));

        // sent last on the same partition: once it completes, the consumer went past every hostile record
        JsonNode done = TestKafka.get().awaitOutcome("hostile-good").json();
        assertEquals("COMPLETED", done.path("status").asText(), done.toString());
        assertEquals("literal/{{env:HOME}}-${sys:user.home}.bin", done.path("path").asText(), "a target is never evaluated");
        assertArrayEquals(good, Files.readAllBytes(dataDir().resolve("literal/{{env:HOME}}-${sys:user.home}.bin")));

        for (int i = 0; i < corpus.size(); i++) {
            Case c = corpus.get(i);
            String key = keys.get(i);
            TestKafka.get().awaitOutcome(key);
            var outcomes = TestKafka.get().outcomes(o -> key.equals(o.key()));
            assertEquals(1, outcomes.size(), c.name() + ": " + outcomes);
            JsonNode letter = outcomes.get(0).json();
            assertEquals("downloads.dlq", outcomes.get(0).topic(), c.name());
            assertEquals(c.code(), letter.path("error").path("code").asText(), c.name() + ": " + letter);
            assertFalse(letter.path("error").path("message").asText().isBlank(), c.name());
            assertFalse(letter.toString().contains(SECRET), c.name() + " echoed a secret: " + letter);
            if (!c.contacts()) {
                assertEquals(List.of(), origin.seen("/hostile/" + i + ".bin"), c.name() + " reached the origin");
            }
        }
        for (TestOrigin.Seen seen : origin.seen) {
            assertTrue(seen.method().equals("GET") || seen.method().equals("HEAD"), "method " + seen);
            assertFalse(seen.target().contains("stolen") || seen.target().contains("leak"), "target " + seen);
        }
        var goodGets = origin.seen("/hostile/good.bin").stream().filter(r -> r.method().equals("GET")).toList();
        assertFalse(goodGets.isEmpty());
        goodGets.forEach(r -> assertEquals("{{env:HOME}} ${sys:user.home}", r.header("X-Trace"),
                "request header values are sent as they are, never evaluated"));
    }
}
