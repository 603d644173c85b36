package dev.downloader.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.downloader.DownloadFailure;

class RequestValidatorTest {

    private final RequestValidator validator = new RequestValidator(new ObjectMapper(), Path.of("/srv/data"),
            new RequestValidator.Limits(65_536, 1L << 30, 16, 1_000_000_000L, 65_536),
            new HeaderPolicy(List.of("Accept", "User-Agent", "X-*")), (profile, url) -> {
                if (!profile.equals("files") || !url.getHost().equals("o.example")) {
                    throw DownloadFailure.invalid("auth profile '" + profile + "' is not usable for " + url.getHost());
                }
            });

    @Test
    void aFullRequestIsRead() {
        DownloadRequest r = valid("""
                {"id": "abc-1", "url": "https://origin.example/path/file.bin", "mirrors": ["https://m.example/f"],
                 "target": "datasets/file.bin", "checksum": {"algorithm": "sha-256", "value": "%s"},
                 "size": 1024, "headers": {"X-Custom": "v"}, "chunkSize": 1048576, "connections": 4,
                 "priority": 5}""".formatted("AB".repeat(32)));
        assertEquals("abc-1", r.id());
        assertEquals("origin.example", r.url().getHost());
        assertEquals(1, r.mirrors().size());
        assertEquals("datasets/file.bin", r.target());
        assertEquals(new DownloadRequest.Checksum("SHA-256", "ab".repeat(32)), r.checksum());
        assertEquals(1024L, r.size());
        assertEquals(Map.of("X-Custom", "v"), r.headers());
        assertEquals(1_048_576L, r.chunkSize());
        assertEquals(4, r.connections());
        assertEquals(5, r.priority());
    }

    @Test
    void onlyUrlIsRequiredAndTheIdIsDerivedWhenAbsent() {
        DownloadRequest r = valid("{\"url\": \"http://origin.example/f\"}");
        assertEquals("downloads.requests-0-42", r.id());
        assertNull(r.checksum());
        assertNull(r.target());
        assertEquals(0, r.priority());
    }

    @Test
    void badRequestsAreRejectedWithTheirCodeAndAClearMessage() {
        rejected("", "INVALID_REQUEST", "request is empty");
        rejected("   ", "INVALID_REQUEST", "request is empty");
        rejected("{not json", "INVALID_REQUEST", "not valid JSON");
        rejected("[1, 2]", "INVALID_REQUEST", "must be a JSON object");
        rejected("{}", "INVALID_REQUEST", "url is required");
        rejected("{\"url\": 42}", "INVALID_REQUEST", "url must be a string");
        rejected("{\"url\": \"not a url\"}", "INVALID_REQUEST", "url");
        rejected("{\"url\": \"/relative/path\"}", "INVALID_REQUEST", "absolute");
        rejected("{\"url\": \"ftp://origin.example/f\"}", "UNSUPPORTED_SCHEME", "'ftp' is not supported");
        rejected("{\"url\": \"file:///etc/passwd\"}", "UNSUPPORTED_SCHEME", "not supported");
        rejected("{\"url\": \"http://user:pw@origin.example/f\"}", "INVALID_REQUEST", "credentials");
        rejected("{\"id\": \"../x\", \"url\": \"http://o.example/f\"}", "INVALID_REQUEST", "id must be");
        rejected("{\"url\": \"http://o.example:99999/f\"}", "INVALID_REQUEST", "port out of range");
        rejected("{\"url\": \"http://o.example/f\", \"pad\": \"" + "x".repeat(70_000) + "\"}", "INVALID_REQUEST",
                "over downloader.max-request-size");
        rejected("{\"url\": \"http://o.example:0/f\"}", "INVALID_REQUEST", "port out of range");
        rejected("{\"url\": \"http://o.example/f\"} trailing", "INVALID_REQUEST", "not valid JSON");
        rejected("{\"url\": \"http://o.example/f\"}{\"url\": \"http://o.example/g\"}", "INVALID_REQUEST", "not valid JSON");
        rejected("{\"url\": \"http://o.example/f\", \"overwrite\": \"yes\"}", "INVALID_REQUEST", "overwrite");
        rejected("{\"url\": \"http://o.example/f\", \"url\": \"http://169.254.169.254/\"}", "INVALID_REQUEST", "Duplicate");
        rejected("{\"url\": \"http://exa_mple.com/f\"}", "INVALID_REQUEST", "no valid host");
        rejected("{\"url\": \"http://o.example/" + "a".repeat(9000) + "\"}", "INVALID_REQUEST", "longer than");
    }

    @Test
    void aBrokenUrlIsNeverQuotedBackWithItsPassword() {
        DownloadFailure failure = assertThrows(DownloadFailure.class,
                () -> valid("{\"url\": \"http://user:hunter2@o.example/a file\"}"));
        assertEquals("INVALID_REQUEST", failure.code());
        assertFalse(failure.getMessage().contains("hunter2"), failure.getMessage());
        failure = assertThrows(DownloadFailure.class, () -> valid("{\"url\": \"http://user:hunter2@/nohost\"}"));
        assertFalse(failure.getMessage().contains("hunter2"), failure.getMessage());
    }

    @Test
    void targetsAreNormalisedRelativePathsOutsideTheServiceFiles() {
        for (String target : new String[] {"../escape.bin", "a/../../escape.bin", "/etc/passwd", "tmp/x.part",
                "meta/x.json", "downloads.mv.db", "a/b/../c.bin", "./a.bin", "a//b.bin", "a/", "TMP/x.part",
                "Meta/x.json", "KAFKA/x", "Downloads.MV.db", "a\\\\b.bin", "C:/x.bin", "", "a/\\u202Egnp.exe",
                "a/\\u0000.bin", "x".repeat(256), "a/".repeat(600) + "b"}) {
            rejected("{\"url\": \"http://o.example/f\", \"target\": \"" + target + "\"}", "TARGET_NOT_ALLOWED", "");
        }
        assertEquals("datasets/2026/f.bin",
                valid("{\"url\": \"http://o.example/f\", \"target\": \"datasets/2026/f.bin\"}").target());
        assertEquals("raw/{{env:HOME}}.bin",
                valid("{\"url\": \"http://o.example/f\", \"target\": \"raw/{{env:HOME}}.bin\"}").target());
        assertEquals("tmpfiles/x.bin", valid("{\"url\": \"http://o.example/f\", \"target\": \"tmpfiles/x.bin\"}").target());
        assertTrue(valid("{\"url\": \"http://o.example/f\", \"overwrite\": true}").overwrite());
    }

    @Test
    void checksumsAreLimitedToKnownAlgorithmsAndWellFormedValues() {
        rejected("{\"url\": \"http://o.example/f\", \"checksum\": {\"algorithm\": \"CRC32\", \"value\": \"abcd\"}}",
                "INVALID_REQUEST", "'CRC32' is not supported");
        rejected("{\"url\": \"http://o.example/f\", \"checksum\": {\"algorithm\": \"MD5\", \"value\": \"xyz\"}}",
                "INVALID_REQUEST", "32 hex digits");
        rejected("{\"url\": \"http://o.example/f\", \"checksum\": {\"algorithm\": \"SHA-1\"}}", "INVALID_REQUEST",
                "both algorithm and value");
        assertEquals("SHA-1", valid("{\"url\": \"http://o.example/f\", \"checksum\": {\"algorithm\": \"sha1\", \"value\": \""
                + "0".repeat(40) + "\"}}").checksumAlgorithm());
    }

    @Test
    void boundsComeFromConfiguration() {
        rejected("{\"url\": \"http://o.example/f\", \"chunkSize\": 1024}", "INVALID_REQUEST", "between 65536 and");
        rejected("{\"url\": \"http://o.example/f\", \"chunkSize\": 2147483648}", "INVALID_REQUEST", "chunkSize");
        rejected("{\"url\": \"http://o.example/f\", \"connections\": 17}", "INVALID_REQUEST", "between 1 and 16");
        rejected("{\"url\": \"http://o.example/f\", \"connections\": 0}", "INVALID_REQUEST", "positive integer");
        rejected("{\"url\": \"http://o.example/f\", \"connections\": \"4\"}", "INVALID_REQUEST", "positive integer");
        rejected("{\"url\": \"http://o.example/f\", \"size\": 2000000000}", "TOO_LARGE", "exceeds");
    }

    @Test
    void headersPassOnlyByThePolicyAndKeepTheirValuesAsData() {
        for (String name : new String[] {"Range", "range", "If-Range", "Host", "Accept-Encoding", "Authorization",
                "Cookie", "Proxy-Authorization", "Content-Length", "Transfer-Encoding", "Connection", "TE", "Upgrade",
                "CamelHttpUri", "camelhttpmethod", "CAMELHTTPPATH", "X-Forwarded-For", "X-HTTP-Method-Override",
                "If-None-Match", "Expect"}) {
            rejected("{\"url\": \"http://o.example/f\", \"headers\": {\"" + name + "\": \"x\"}}", "INVALID_REQUEST",
                    "the service's own");
        }
        for (String name : new String[] {"X-Api-Key", "X-Auth-Token", "X-Session-Id", "X-Secret"}) {
            rejected("{\"url\": \"http://o.example/f\", \"headers\": {\"" + name + "\": \"x\"}}", "INVALID_REQUEST",
                    "credential");
        }
        rejected("{\"url\": \"http://o.example/f\", \"headers\": {\"kafka.KEY\": \"x\"}}", "INVALID_REQUEST",
                "letters, digits and '-'");
        rejected("{\"url\": \"http://o.example/f\", \"headers\": {\"Referer\": \"x\"}}", "INVALID_REQUEST",
                "not on downloader.request-headers.allowed");
        rejected("{\"url\": \"http://o.example/f\", \"headers\": {\"X-A\": \"a\\r\\nX-B: b\"}}", "INVALID_REQUEST",
                "single-line");
        rejected("{\"url\": \"http://o.example/f\", \"headers\": {\"X-A\": 5}}", "INVALID_REQUEST", "single-line");
        rejected("{\"url\": \"http://o.example/f\", \"headers\": {\"X-A\": \"1\", \"x-a\": \"2\"}}",
                "INVALID_REQUEST", "twice");
        DownloadRequest r = valid("{\"url\": \"http://o.example/f\", \"headers\": {\"X-Trace\": \"{{env:HOME}} ${body}\","
                + " \"accept\": \"*/*\"}}");
        assertEquals(Map.of("X-Trace", "{{env:HOME}} ${body}", "accept", "*/*"), r.headers());
        rejected("{\"url\": \"http://o.example/f\", \"auth\": \"profile\"}", "INVALID_REQUEST", "not usable");
        rejected("{\"url\": \"http://other.example/f\", \"auth\": \"files\"}", "INVALID_REQUEST", "not usable");
        assertEquals("files", valid("{\"url\": \"http://o.example/f\", \"auth\": \"files\"}").auth());
    }

    private DownloadRequest valid(String json) {
        return validator.validate(json.getBytes(StandardCharsets.UTF_8), "downloads.requests-0-42");
    }

    private void rejected(String json, String code, String messagePart) {
        DownloadFailure failure = assertThrows(DownloadFailure.class, () -> valid(json), json);
        assertEquals(code, failure.code(), json + " -> " + failure.getMessage());
        assertTrue(failure.getMessage().contains(messagePart), json + " -> " + failure.getMessage());
    }
}
