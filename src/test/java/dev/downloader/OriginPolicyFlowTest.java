package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The origin policy holds on every connection, not only on the probe. The tests run the strict policy (no internal
 * addresses but the test origin's 127.0.0.1) and move names between addresses through the test JVM's hosts file.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class OriginPolicyFlowTest extends FlowSupport {

    @Test
    void aNameThatMovesToAnInternalAddressMidDownloadIsRefusedOnTheNextConnection() {
        mapHost("rebind.test", "127.0.0.1");
        TestOrigin.Served served = origin.serve("/rebind/file.bin", randomBytes(400_000, 50));
        // on the third GET the name starts resolving to 127.0.0.2 and that connection drops: the retry must resolve
        // again, and the address it would connect to is internal and not allowed
        served.onGet(3, () -> {
            mapHost("rebind.test", "127.0.0.2");
            served.droppingFirst(1);
        });

        JsonNode letter = outcome("rebind-1", origin.url("rebind.test", "/rebind/file.bin"), ", \"connections\": 1");

        assertEquals("ORIGIN_NOT_ALLOWED", letter.path("error").path("code").asText(), letter.toString());
        assertTrue(letter.path("error").path("message").asText().contains("127.0.0.2"), letter.toString());
        assertEquals(3, served.gets.size(), "chunks were fetched before the move, none after: " + served.gets);
        assertFalse(Files.exists(dataDir().resolve("tmp/rebind-1.part")));
    }

    @Test
    void aNameOnTheInternalRangeIsRefusedBeforeAnyConnection() {
        mapHost("inside.test", "10.1.2.3");

        JsonNode letter = outcome("inside-1", origin.url("inside.test", "/x.bin"), "");

        assertEquals("ORIGIN_NOT_ALLOWED", letter.path("error").path("code").asText(), letter.toString());
        assertTrue(letter.path("error").path("message").asText().contains("10.1.2.3"), letter.toString());
    }

    @Test
    void deniedHostsMatchWhateverTheCaseAndTrailingDot() throws Exception {
        mapHost("denied.test", "127.0.0.1");
        mapHost("fine.test", "127.0.0.1");
        byte[] content = randomBytes(30_000, 51);
        origin.serve("/names/a.bin", content);

        JsonNode denied = outcome("denied-1", origin.url("DENIED.Test.", "/names/a.bin"), "");
        JsonNode fine = outcome("fine-1", origin.url("fine.test.", "/names/a.bin"), "");

        assertEquals("ORIGIN_NOT_ALLOWED", denied.path("error").path("code").asText(), denied.toString());
        assertEquals("COMPLETED", fine.path("status").asText(), fine.toString());
        assertArrayEquals(content, Files.readAllBytes(dataDir().resolve(fine.path("path").asText())));
    }

    @Test
    void aNameThatNeverResolvesEndsAsNetworkAfterItsRetries() {
        JsonNode letter = outcome("unknown-1", origin.url("nowhere.test", "/x.bin"), "");

        assertEquals("NETWORK", letter.path("error").path("code").asText(), letter.toString());
        assertTrue(letter.path("error").path("retryable").asBoolean(), letter.toString());
    }
}
