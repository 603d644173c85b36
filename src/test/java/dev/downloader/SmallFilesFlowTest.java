package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.state.Database;
import dev.downloader.testsupport.TestKafka;
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

    private JsonNode fetch(String id, String path, byte[] content) throws Exception {
        origin.serve(path, content);
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
