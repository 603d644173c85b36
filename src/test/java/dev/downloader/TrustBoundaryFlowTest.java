package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * What an origin or a request may not make the service do: decode bytes, mix two versions of a file, overwrite or
 * escape through a file that exists, or pass credentials along a redirect.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class TrustBoundaryFlowTest extends FlowSupport {

    @Test
    void aGzipEncodedFileIsWrittenAsStoredNeverDecoded() throws Exception {
        byte[] stored = gzip(randomBytes(300_000, 30));
        origin.serve("/enc/data.gz", stored).withHeader("Content-Encoding", "gzip");

        JsonNode result = request("enc-1", "/enc/data.gz", ", \"connections\": 3, \"checksum\": "
                + "{\"algorithm\": \"SHA-256\", \"value\": \"" + sha256(stored) + "\"}");

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertEquals(stored.length, result.path("size").asLong());
        assertArrayEquals(stored, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        origin.seen("/enc/").forEach(r -> assertEquals("identity", r.header("Accept-Encoding"), r.toString()));
    }

    @Test
    void aNewEtagMidDownloadIsOriginChangedEvenFromAServerThatIgnoresIfRange() {
        origin.serve("/changed/etag.bin", randomBytes(600_000, 31)).ignoringIfRange()
                .changingAfter(3, randomBytes(600_000, 32));

        assertOriginChanged("changed-etag", "/changed/etag.bin", "ETag");
    }

    @Test
    void withoutAnEtagANewLastModifiedIsOriginChanged() {
        origin.serve("/changed/date.bin", randomBytes(600_000, 33)).withoutEtag().ignoringIfRange()
                .changingAfter(3, randomBytes(600_000, 34));

        assertOriginChanged("changed-date", "/changed/date.bin", "Last-Modified");
    }

    @Test
    void aFileThatGrewMidDownloadIsOriginChanged() {
        origin.serve("/changed/grew.bin", randomBytes(600_000, 35)).ignoringIfRange()
                .changingAfter(3, randomBytes(700_000, 36));

        assertOriginChanged("changed-grew", "/changed/grew.bin", "700000 bytes");
    }

    @Test
    void aServerHonouringIfRangeSendsTheNewVersionWholeAndItIsNotMixedIn() {
        origin.serve("/changed/ifrange.bin", randomBytes(600_000, 37)).changingAfter(3, randomBytes(600_000, 38));

        assertOriginChanged("changed-ifrange", "/changed/ifrange.bin", "ETag");
    }

    @Test
    void anExistingTargetIsNeverOverwrittenUnlessTheRequestSaysSo() throws Exception {
        Path existing = dataDir().resolve("kept/file.bin");
        Files.createDirectories(existing.getParent());
        Files.write(existing, "precious".getBytes());
        byte[] content = randomBytes(100_000, 39);
        origin.serve("/exists/file.bin", content);

        JsonNode refused = request("exists-1", "/exists/file.bin", ", \"target\": \"kept/file.bin\"");
        assertEquals("TARGET_EXISTS", refused.path("error").path("code").asText(), refused.toString());
        assertEquals("precious", Files.readString(existing));
        assertTrue(origin.seen("/exists/").stream().noneMatch(r -> r.method().equals("GET")),
                "refused before any byte was fetched: " + origin.seen("/exists/"));

        JsonNode replaced = request("exists-2", "/exists/file.bin", ", \"target\": \"kept/file.bin\", \"overwrite\": true");
        assertEquals("COMPLETED", replaced.path("status").asText(), replaced.toString());
        assertEquals("kept/file.bin", replaced.path("path").asText());
        assertArrayEquals(content, Files.readAllBytes(existing));
    }

    /** A directory where the file would go is left as it is, asked to overwrite or not, named or by default. */
    @Test
    void aDirectoryAtTheTargetIsNeverReplaced() throws Exception {
        Path directory = dataDir().resolve("kept/dir.bin");
        Files.createDirectories(directory.resolve("inside"));
        String month = java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString();
        Path defaultDirectory = dataDir().resolve("raw/" + month + "/folder.bin");
        Files.createDirectories(defaultDirectory);
        origin.serve("/dirs/dir.bin", randomBytes(30_000, 43));
        origin.serve("/dirs/folder.bin", randomBytes(30_000, 44));

        JsonNode overwrite = request("dir-overwrite", "/dirs/dir.bin", ", \"target\": \"kept/dir.bin\", \"overwrite\": true");
        JsonNode byDefault = request("dir-default", "/dirs/folder.bin", "");

        for (JsonNode refused : List.of(overwrite, byDefault)) {
            assertEquals("TARGET_EXISTS", refused.path("error").path("code").asText(), refused.toString());
            assertTrue(refused.path("error").path("message").asText().endsWith(" is a directory"), refused.toString());
        }
        assertTrue(Files.isDirectory(directory.resolve("inside")), "the directory and what it holds stay");
        assertTrue(Files.isDirectory(defaultDirectory));
    }

    @Test
    void aTakenDefaultTargetGetsANumberedNameAndBothFilesStay() throws Exception {
        byte[] first = randomBytes(50_000, 40);
        byte[] second = randomBytes(50_000, 41);
        origin.serve("/twice/report.csv", first);
        JsonNode one = request("twice-1", "/twice/report.csv", "");
        origin.serve("/twice/report.csv", second);

        JsonNode two = request("twice-2", "/twice/report.csv", "");

        String path = one.path("path").asText();
        assertTrue(path.endsWith("/report.csv"), path);
        assertEquals(path.replace("report.csv", "report.1.csv"), two.path("path").asText());
        assertArrayEquals(first, Files.readAllBytes(dataDir().resolve(path)));
        assertArrayEquals(second, Files.readAllBytes(dataDir().resolve(two.path("path").asText())));
        assertEquals(two, objectFromMeta("twice-2"));
    }

    @Test
    void aLinkUnderTheDataDirectoryCannotLeadATargetOutOfIt() throws Exception {
        Path outside = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "outside-");
        Files.createDirectories(dataDir().resolve("links"));
        Files.createSymbolicLink(dataDir().resolve("links/out"), outside);
        Files.createSymbolicLink(dataDir().resolve("links/in"), dataDir().resolve("kept-in"));
        Files.createDirectories(dataDir().resolve("kept-in"));
        byte[] content = randomBytes(20_000, 42);
        origin.serve("/link/a.bin", content);

        JsonNode escaped = request("link-out", "/link/a.bin", ", \"target\": \"links/out/sub/a.bin\"");
        JsonNode inside = request("link-in", "/link/a.bin", ", \"target\": \"links/in/a.bin\"");

        assertEquals("TARGET_NOT_ALLOWED", escaped.path("error").path("code").asText(), escaped.toString());
        try (var entries = Files.list(outside)) {
            assertEquals(0, entries.count(), "nothing was created outside the data directory");
        }
        assertEquals("COMPLETED", inside.path("status").asText(), inside.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve("kept-in/a.bin")));
    }

    @Test
    void credentialsInARedirectLocationAreDroppedNotSent() throws Exception {
        byte[] content = randomBytes(70_000, 43);
        origin.serve("/redir/real.bin", content);
        origin.serve("/redir/start.bin", new byte[0]).redirecting(302,
                "http://user:hunter2@127.0.0.1:" + origin.port() + "/redir/real.bin");

        JsonNode result = request("redir-1", "/redir/start.bin", "");

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        origin.seen("/redir/real.bin").forEach(r -> assertNull(r.header("Authorization"), r.toString()));
        assertFalse(result.toString().contains("hunter2"));
    }

    @Test
    void aHostileContentDispositionNamesNothingOutsideItsDirectory() throws Exception {
        byte[] content = randomBytes(10_000, 44);
        origin.serve("/cd/plain.bin", content).withHeader("Content-Disposition", "attachment; filename=\"../../evil.sh\"");
        origin.serve("/cd/broken.bin", content).withHeader("Content-Disposition", "attachment; filename*=UTF-8''%zz%");

        JsonNode plain = request("cd-1", "/cd/plain.bin", "");
        JsonNode broken = request("cd-2", "/cd/broken.bin", "");

        assertTrue(plain.path("path").asText().matches("raw/\\d{4}-\\d{2}/evil\\.sh"), plain.toString());
        assertTrue(broken.path("path").asText().matches("raw/\\d{4}-\\d{2}/broken\\.bin"), broken.toString());
    }

    private void assertOriginChanged(String id, String path, String messagePart) {
        JsonNode letter = request(id, path, ", \"connections\": 2, \"target\": \"changed/" + id + ".bin\"");
        assertEquals("ORIGIN_CHANGED", letter.path("error").path("code").asText(), letter.toString());
        assertTrue(letter.path("error").path("message").asText().contains(messagePart), letter.toString());
        assertFalse(Files.exists(dataDir().resolve("changed/" + id + ".bin")));
        assertFalse(Files.exists(dataDir().resolve("tmp/" + id + ".part")));
    }

    private JsonNode request(String id, String path, String extra) {
        return outcome(id, origin.url(path), extra);
    }

    private static JsonNode objectFromMeta(String id) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(dataDir().resolve("meta/" + id + ".json").toFile());
    }

    private static byte[] gzip(byte[] bytes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(bytes);
        }
        return out.toByteArray();
    }
}
