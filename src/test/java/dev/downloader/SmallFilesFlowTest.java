package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.state.Database;
import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.common.annotation.Identifier;

/** Files under downloader.resume.min-size are fetched again after a crash: no plan or progress is written for them. */
@QuarkusTest
@TestProfile(SmallFilesFlowTest.ResumeFromOneMebibyte.class)
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class SmallFilesFlowTest extends FlowSupport {

    /** The production threshold: files of 1 MiB and more are resumable. */
    public static class ResumeFromOneMebibyte implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("downloader.resume.min-size", "1M");
        }
    }

    @Inject
    @Identifier(Database.NAME)
    DataSource dataSource;

    @Test
    void aFileUnderTheResumeSizeCompletesWithoutAPlanInTheDatabase() throws Exception {
        byte[] content = randomBytes(200_000, 41);
        JsonNode result = fetch("small-1", "/small/file.bin", content);

        assertEquals(4, result.path("chunks").asInt(), "still fetched in 64 KiB ranges: " + result);
        assertEquals("null", String.valueOf(column(dataSource, "small-1", "file_size")));
        assertEquals(0, chunkRows("small-1"));
    }

    @Test
    void aFileOfTheResumeSizeHasItsPlanSaved() throws Exception {
        byte[] content = randomBytes(1 << 20, 42);
        JsonNode result = fetch("small-2", "/small/mebibyte.bin", content);

        assertEquals(String.valueOf(1 << 20), column(dataSource, "small-2", "file_size"));
        assertEquals(result.path("chunks").asInt(), chunkRows("small-2"));
    }

    @Test
    void aFileNoLargerThanTheProbesRangeTakesOneRequest() throws Exception {
        byte[] content = randomBytes(50_000, 43);
        JsonNode result = fetch("small-3", "/small/tiny.bin", content);

        List<TestOrigin.Seen> seen = origin.seen("/small/tiny.bin");
        assertEquals(1, seen.size(), "the probe's GET brought the whole file: " + seen);
        assertEquals("GET", seen.get(0).method());
        assertEquals(List.of("bytes=0-65535"), seen.get(0).headers().get("range"));
        assertEquals(content.length, result.path("bytesTransferred").asLong(), result.toString());
    }

    @Test
    void aLargerFileGoesOnFromTheProbesBytesAndNoByteIsFetchedTwice() throws Exception {
        byte[] content = randomBytes(300_000, 44);
        TestOrigin.Served served = origin.serve("/small/larger.bin", content);
        JsonNode result = request("small-4", "/small/larger.bin", content);

        assertEquals("bytes=0-65535", served.gets.get(0), served.gets.toString());
        // the rest of chunk 0 and every other range start past the probe's bytes
        assertTrue(served.gets.size() > 1 && served.gets.stream().skip(1).allMatch(range -> Long.parseLong(
                range.substring("bytes=".length(), range.indexOf('-'))) >= 65_536), served.gets.toString());
        assertEquals(content.length, served.bytesSent.get(), "bytes the origin sent");
        assertEquals(content.length, result.path("bytesTransferred").asLong(), result.toString());
    }

    private JsonNode fetch(String id, String path, byte[] content) throws Exception {
        origin.serve(path, content);
        return request(id, path, content);
    }

    private JsonNode request(String id, String path, byte[] content) throws Exception {
        TestKafka.get().send(id, "{\"id\": \"" + id + "\", \"url\": \"" + origin.url(path) + "\", \"connections\": 4}");
        JsonNode result = TestKafka.get().awaitOutcome(id).json();
        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(result.path("path").asText())));
        return result;
    }

    private int chunkRows(String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM download_chunk WHERE download_id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }
}
