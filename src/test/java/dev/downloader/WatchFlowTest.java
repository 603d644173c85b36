package dev.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** What an operator watches: the Prometheus metrics of real downloads, and readiness over Kafka and the database. */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class WatchFlowTest extends FlowSupport {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TestHTTPResource("/q/metrics")
    URI metrics;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    @Test
    void metricsCountBytesLatencyRetriesAndOutcomesByCode() throws Exception {
        byte[] content = randomBytes(300_000, 51);
        origin.serve("/watch/file.bin", content).failingFirst(1, 503);
        origin.serve("/watch/missing.bin", new byte[0]).answering(404);
        String host = "host=\"127.0.0.1:" + origin.port() + "\"";
        String before = get(metrics).body();

        TestKafka.get().send("watch-1", "{\"id\": \"watch-1\", \"url\": \"" + origin.url("/watch/file.bin") + "\"}");
        TestKafka.get().send("watch-2", "{\"id\": \"watch-2\", \"url\": \"" + origin.url("/watch/missing.bin") + "\"}");
        JsonNode result = TestKafka.get().awaitOutcome("watch-1").json();
        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertEquals("HTTP_404", TestKafka.get().awaitOutcome("watch-2").json().path("error").path("code").asText());
        String after = get(metrics).body();

        assertTrue(increase(before, after, "downloader_downloaded_bytes_total{" + host + "}") >= content.length,
                after);
        // every range but chunk 0, which the probe's GET brought
        assertTrue(increase(before, after, "downloader_chunk_fetch_seconds_count{" + host + ",result=\"complete\"}")
                >= result.path("chunks").asInt() - 1, after);
        assertTrue(after.contains("downloader_chunk_fetch_seconds_bucket{" + host + ",result=\"complete\",le="),
                "a latency histogram: " + after);
        assertTrue(increase(before, after, "downloader_retries_total{cause=\"RetryableStatus\"}") >= 1, after);
        // at least: a download left by another test class may end in the same window
        assertTrue(increase(before, after, "downloader_outcomes_total{code=\"none\",status=\"COMPLETED\"}") >= 1, after);
        assertTrue(increase(before, after, "downloader_outcomes_total{code=\"HTTP_404\",status=\"FAILED\"}") >= 1, after);
        assertTrue(value(after, "downloader_downloads{state=\"queued\"}") >= 0, after);
        assertTrue(value(after, "downloader_downloads_active") >= 0, after);
        assertTrue(value(after, "downloader_connections_in_use{" + host + "}") >= 0, after);

        // the shipped Grafana dashboard asks only for series the service exports
        String dashboard = Files.readString(Path.of("src/main/grafana/downloader.json"));
        Matcher series = Pattern.compile("downloader_[a-z_]+").matcher(dashboard);
        int queried = 0;
        while (series.find()) {
            queried++;
            assertTrue(after.contains("\n" + series.group() + "{") || after.contains("\n" + series.group() + " "),
                    series.group() + " is queried by the dashboard but not exported");
        }
        assertTrue(queried >= 6, dashboard);
    }

    @Test
    void readinessCoversTheBrokerTheConsumerAndTheDatabase() throws Exception {
        HttpResponse<String> response = get(ready);

        assertEquals(200, response.statusCode(), response.body());
        JsonNode health = new ObjectMapper().readTree(response.body());
        assertEquals("UP", health.path("status").asText(), response.body());
        assertTrue(response.body().contains("Kafka connection health check"), "the broker: " + response.body());
        assertTrue(response.body().contains("camel-consumers"), "the requests consumer: " + response.body());
        assertTrue(response.body().contains("Database connections health check"), response.body());
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double increase(String before, String after, String series) {
        double then = value(before, series);
        return value(after, series) - (Double.isNaN(then) ? 0 : then);
    }

    /** The sample of one series in Prometheus text format; NaN when it is not there. */
    private static double value(String scrape, String series) {
        return scrape.lines().filter(line -> line.startsWith(series + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]))
                .orElse(Double.NaN);
    }
}
