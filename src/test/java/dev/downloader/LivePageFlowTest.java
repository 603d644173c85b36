package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.HeadlessChromium;
import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The live page at / in a real headless Chromium: a download is seen moving, and is cancelled from the page. */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class LivePageFlowTest extends FlowSupport {

    @TestHTTPResource("/")
    URI page;

    @Test
    void aDownloadIsSeenMovingOnThePageAndIsCancelledFromIt() throws Exception {
        byte[] content = randomBytes(3_000_000, 91);
        // two connections at 100 KB/s each: fifteen seconds, unless cancelled
        TestOrigin.Served served = origin.serve("/page/file.bin", content).throttled(100_000);

        try (HeadlessChromium browser = HeadlessChromium.open(page.toString(), 1100, 420)) {
            // requested once the page runs: a browser slow to start on a loaded machine must not miss the download
            await().atMost(Duration.ofSeconds(30)).until(() -> "complete".equals(
                    browser.evaluate("document.readyState").asText()));
            TestKafka.get().send("page-1", "{\"id\": \"page-1\", \"url\": \"" + origin.url("/page/file.bin")
                    + "\", \"connections\": 2}");
            double first = awaitPercent(browser, 0);
            double later = awaitPercent(browser, first);
            assertTrue(later > first, "the bar moves: " + first + " then " + later);
            assertFalse(rowText(browser).path("rate").asText().isEmpty(), "a rate is shown: " + rowText(browser));
            browser.screenshot(Path.of("target/live-page.png"));

            browser.evaluate("document.querySelector('tr[data-id=\"page-1\"] button.cancel').click()");

            JsonNode letter = TestKafka.get().awaitOutcome("page-1").json();
            assertEquals("CANCELLED", letter.path("error").path("code").asText(), letter.toString());
            await().atMost(Duration.ofSeconds(10)).until(() -> "CANCELLED".equals(rowText(browser).path("state").asText()));
            assertFalse(rowText(browser).path("button").asBoolean(), "no cancel button on an ended download");
        }
        assertTrue(served.bytesSent.get() < content.length, "cancelled before the end");
        assertFalse(Files.exists(dataDir().resolve("tmp/page-1.part")));
    }

    /** The bar's percent of page-1 once it is over {@code above}, as the page shows it. */
    private static double awaitPercent(HeadlessChromium browser, double above) {
        return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> rowText(browser).path("percent").asDouble(-1), percent -> percent > above);
    }

    /** What the row of page-1 shows: its state, the bar's percent, the rate, and whether it has a cancel button. */
    private static JsonNode rowText(HeadlessChromium browser) throws Exception {
        return browser.evaluate("""
                (() => {
                  const row = document.querySelector('tr[data-id="page-1"]');
                  if (!row) return {};
                  return { state: row.dataset.state, percent: Number(row.cells[2].dataset.percent),
                           rate: row.querySelector('.rate').textContent, button: !!row.querySelector('button.cancel') };
                })()""");
    }
}
