package dev.downloader.testsupport;

import java.io.IOException;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.flywaydb.core.Flyway;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalDataSourceConfigurationSupplier;
import io.agroal.api.security.NamePrincipal;
import io.agroal.api.security.SimplePassword;

import dev.downloader.DownloaderConfig;
import dev.downloader.outcome.Outcome;
import dev.downloader.plan.Chunk;
import dev.downloader.plan.ProbeResult;
import dev.downloader.request.DownloadRequest;
import dev.downloader.state.DownloadStore;
import dev.downloader.state.Source;

/**
 * The database's share of a flood of small files, without Kafka, HTTP or Camel: every download goes through the
 * service's statements for a 64 KiB file (record, claim, heartbeat, load, plan, outcome, published), with the flushes
 * between, on the embedded H2 with the service's URL and pool. Downloads come {@code active} at a time; their outcomes
 * are flushed {@code group} at a time (the service's group commit merges the flushes of downloads that end together: 1
 * is none merged, {@code active} all of them). Prints the process's CPU and wall time per round of {@code files}.
 * {@code bench/store.sh} runs it.
 */
public final class StoreBench {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        int files = Integer.parseInt(args[2]);
        int active = Integer.parseInt(args[3]);
        int group = Integer.parseInt(args[4]);
        String settings = args.length > 5 && !args[5].isBlank() ? ";" + args[5] : "";
        String url = serviceUrl(dir) + settings;
        // Agroal, the service's pool: H2's own pool rolls back each connection it takes back, and a rollback empties
        // the session's cache of parsed statements, so every statement would be parsed again
        AgroalDataSource pool = AgroalDataSource.from(new AgroalDataSourceConfigurationSupplier()
                .connectionPoolConfiguration(cp -> cp.maxSize(20).connectionFactoryConfiguration(cf -> cf.jdbcUrl(url)
                        .principal(new NamePrincipal("sa")).credential(new SimplePassword("")))));
        Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate();
        DownloadStore store = new DownloadStore(pool, config(dir));
        ObjectMapper json = new ObjectMapper();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long offset = 0;
        for (int round = 1; round <= rounds; round++) {
            long cpu = os.getProcessCpuTime();
            long wall = System.nanoTime();
            for (int first = 0; first < files; first += active) {
                for (int i = first; i < Math.min(files, first + active); i++) {
                    String id = "bench-" + round + "-" + i;
                    URI source = source(id);
                    String sha256 = String.format("%064x", i * 2654435761L);
                    store.record(new DownloadRequest(id, source, List.of(), null,
                            new DownloadRequest.Checksum("SHA-256", sha256), null, Map.of(), null, null, null, 0, false,
                            json.readTree("{\"id\": \"" + id + "\", \"url\": \"" + source + "\", \"checksum\":"
                                    + " {\"algorithm\": \"SHA-256\", \"value\": \"" + sha256 + "\"}}")),
                            new Source("downloads.requests", 0, offset++));
                }
                store.flush();
                List<String> claimed = store.claimQueued(active);
                store.heartbeat(claimed);
                List<Outcome> outcomes = new ArrayList<>();
                for (String id : claimed) {
                    store.load(id);
                    URI source = source(id);
                    store.savePlan(id, source, new ProbeResult(65_536L, "\"6542-10000\"",
                            "Mon, 07 Dec 2026 21:00:00 GMT", true, null), false, List.of(new Chunk(0, 0, 65_535)),
                            "raw/" + id + ".bin");
                    outcomes.add(store.recordOutcome(new Outcome(id, id, "COMPLETED", "downloads.results", "{\"id\": \""
                            + id + "\", \"status\": \"COMPLETED\", \"url\": \"" + source + "\", \"path\": \"raw/" + id
                            + ".bin\", \"size\": 65536, \"checksum\": {\"algorithm\": \"SHA-256\", \"value\": \""
                            + String.format("%064x", id.hashCode()) + "\"}, \"attempts\": 1, \"durationMs\": 41,"
                            + " \"finishedAt\": \"2026-12-07T21:00:00.123Z\"}")));
                    if (outcomes.size() % group == 0 || outcomes.size() == claimed.size()) {
                        store.flush();
                    }
                }
                store.markPublished(outcomes);
                store.flush();
            }
            System.out.printf("round %d: %d downloads, CPU %.2f s, wall %.2f s%n", round, files,
                    (os.getProcessCpuTime() - cpu) / 1e9, (System.nanoTime() - wall) / 1e9);
        }
        pool.close();
    }

    /** The service's own H2 URL (application.properties, run from the repository's root) on {@code dir}. */
    private static String serviceUrl(Path dir) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"))) {
            properties.load(reader);
        }
        return properties.getProperty("quarkus.datasource.jdbc.url").replace("${downloader.data-dir}",
                dir.toAbsolutePath().toString());
    }

    private static URI source(String id) {
        return URI.create("http://127.0.0.1:18090/small/" + id + ".bin");
    }

    /** The two keys the store reads: a fixed node id, and the data directory. */
    private static DownloaderConfig config(Path dir) {
        return (DownloaderConfig) Proxy.newProxyInstance(StoreBench.class.getClassLoader(),
                new Class<?>[] { DownloaderConfig.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "nodeId" -> Optional.of("bench-node");
                    case "dataDir" -> dir;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
