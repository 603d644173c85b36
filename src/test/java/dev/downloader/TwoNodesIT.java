package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.KafkaBroker;
import dev.downloader.testsupport.ServiceProcess;
import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;

/**
 * Two service processes on one PostgreSQL, one Kafka consumer group and one shared data volume, as DESIGN §6 runs
 * several nodes: every download is fetched by exactly one of them, and when one is SIGKILLed mid-download the other
 * takes the download over after its heartbeat goes stale and finishes it from the saved progress. Needs the
 * PostgreSQL of `-Dtest.postgresql.url` (default 127.0.0.1:5432/test); skipped, and says so, without one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoNodesIT {

    private static final int MIB = 1024 * 1024;
    private static final Path WORK = Path.of("target/two-nodes-it").toAbsolutePath();
    private static final String URL = System.getProperty("test.postgresql.url", "jdbc:postgresql://127.0.0.1:5432/test");
    private static final String USER = System.getProperty("test.postgresql.username", "postgres");
    private static final String SCHEMA = "downloader_two_nodes_" + Long.toHexString(System.nanoTime());
    private static final long STALE_AFTER_MS = 5000;

    static KafkaBroker broker;
    static TestKafka kafka;
    static TestOrigin origin;
    static Path data;
    static final List<ServiceProcess> nodes = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(postgresqlReachable(), "no PostgreSQL at " + URL + "; two nodes not tested here");
        sql("CREATE SCHEMA " + SCHEMA);
        broker = KafkaBroker.start(0, WORK.resolve("kafka-" + System.nanoTime()));
        broker.createTopics(List.of("downloads.results", "downloads.dlq", "downloads.progress"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("requests-nodes", 2, (short) 1))).all().get();
        }
        kafka = TestKafka.of(broker.bootstrapServers());
        origin = new TestOrigin();
        data = WORK.resolve("shared-" + System.nanoTime());
        nodes.add(ServiceProcess.start(node("node-a"), WORK.resolve("node-a.log")));
        nodes.add(ServiceProcess.start(node("node-b"), WORK.resolve("node-b.log")));
    }

    @AfterAll
    static void stop() throws Exception {
        for (ServiceProcess node : nodes) {
            node.kill();
        }
        if (broker != null) {
            origin.close();
            kafka.close();
            broker.close();
            sql("DROP SCHEMA " + SCHEMA + " CASCADE");
        }
    }

    @Test
    @Order(1)
    void aDownloadRunningOnOneNodeIsCancelledThroughTheOtherNodesApi() throws Exception {
        byte[] content = FlowSupport.randomBytes(16 * MIB, 77);
        TestOrigin.Served served = origin.serve("/nodes/cancel.bin", content).throttled(MIB);
        kafka.send("requests-nodes", "cancel-1",
                FlowSupport.request("cancel-1", origin.url("/nodes/cancel.bin"), "raw/nodes/cancel.bin", 4, 1 << 20));
        await().atMost(Duration.ofSeconds(60)).until(() -> served.bytesSent.get() >= 2 * MIB);
        String owner = column("SELECT owner_node FROM download WHERE id = 'cancel-1'").get(0);
        ServiceProcess other = nodes.get(owner.equals("node-a") ? 1 : 0);

        assertEquals(200, other.httpStatus("DELETE", "/downloads/cancel-1"));

        JsonNode letter = kafka.awaitOutcome("cancel-1").json();
        assertEquals("CANCELLED", letter.path("error").path("code").asText(), letter.toString());
        // the owner learns at its next heartbeat (1 s here), stops its lanes and removes the part file
        await().atMost(Duration.ofSeconds(15)).until(() -> !Files.exists(data.resolve("tmp/cancel-1.part")));
        long sentWhenStopped = served.bytesSent.get();
        Thread.sleep(2000);
        assertTrue(served.bytesSent.get() - sentWhenStopped < 256 * 1024, "the owner's lanes stopped");
        assertFalse(Files.exists(data.resolve("raw/nodes/cancel.bin")), "nothing placed");
        assertEquals(List.of("CANCELLED"), column("SELECT state FROM download WHERE id = 'cancel-1'"));
        assertEquals(1, kafka.outcomes(o -> "cancel-1".equals(o.key())).size(), "exactly one outcome");
    }

    @Test
    @Order(2)
    void everyDownloadIsFetchedByExactlyOneNodeAndADeadNodesDownloadIsTakenOver() throws Exception {
        // eight small downloads: both nodes claim from the same table, and none is fetched twice
        List<TestOrigin.Served> small = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] content = FlowSupport.randomBytes(2 * MIB, i);
            contents.add(content);
            small.add(origin.serve("/nodes/" + i + ".bin", content).throttled(MIB));
            String path = "/nodes/" + i + ".bin";
            kafka.send("requests-nodes", "small-" + i,
                    FlowSupport.request("small-" + i, origin.url(path), "raw" + path, 4, 1 << 20));
        }
        for (int i = 0; i < 8; i++) {
            JsonNode result = kafka.awaitOutcome("small-" + i).json();
            assertEquals("COMPLETED", result.path("status").asText(), result.toString());
            assertArrayEquals(contents.get(i), Files.readAllBytes(data.resolve("raw/nodes/" + i + ".bin")));
            TestOrigin.Served served = small.get(i);
            assertEquals(new HashSet<>(served.gets).size(), served.gets.size(), "no range fetched twice: " + served.gets);
            assertEquals(contents.get(i).length, served.bytesSent.get(), "fetched by one node, once");
        }
        Set<String> owners = new HashSet<>(column("SELECT owner_node FROM download WHERE id LIKE 'small-%'"));
        assertEquals(Set.of("node-a", "node-b"), owners, "both nodes took a share");

        // a big one; its node is SIGKILLed at 30 %, the other node takes it over
        byte[] big = FlowSupport.randomBytes(32 * MIB, 99);
        TestOrigin.Served served = origin.serve("/nodes/big.bin", big).throttled(MIB);
        kafka.send("requests-nodes", "big-1",
                FlowSupport.request("big-1", origin.url("/nodes/big.bin"), "raw/nodes/big.bin", 4, 1 << 20));
        await().atMost(Duration.ofSeconds(60)).until(() -> served.bytesSent.get() >= big.length * 3L / 10);
        String owner = column("SELECT owner_node FROM download WHERE id = 'big-1'").get(0);
        ServiceProcess dying = nodes.get(owner.equals("node-a") ? 0 : 1);
        long killedAt = System.nanoTime();
        dying.kill();
        String survivor = owner.equals("node-a") ? "node-b" : "node-a";
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> survivor.equals(column("SELECT owner_node FROM download WHERE id = 'big-1'").get(0)));
        double takeover = (System.nanoTime() - killedAt) / 1e9;
        JsonNode result = kafka.awaitOutcome("big-1").json();
        long refetched = served.bytesSent.get() - big.length;
        System.out.printf("node %s SIGKILLed: %s took its download over after %.1f s (stale after %d ms);"
                + " %d bytes fetched again (%.2f %%)%n", owner, survivor, takeover, STALE_AFTER_MS, refetched,
                100.0 * refetched / big.length);

        assertEquals("COMPLETED", result.path("status").asText(), result.toString());
        assertTrue(result.path("resumed").asBoolean(), "resumed from the dead node's part file on the shared volume");
        assertArrayEquals(big, Files.readAllBytes(data.resolve("raw/nodes/big.bin")));
        assertTrue(takeover < STALE_AFTER_MS / 1000.0 + 5, "taken over within the stale window and a recovery round");
        Thread.sleep(1000);
        assertEquals(1, kafka.outcomes(o -> "big-1".equals(o.key())).size(), "exactly one outcome");
    }

    private static Map<String, String> node(String id) {
        Map<String, String> config = ServiceProcess.config(broker.bootstrapServers(), data, "nodes");
        config.put("downloader.node-id", id);
        config.put("downloader.max-active-downloads", "2");
        config.put("downloader.heartbeat-interval-ms", "1000");
        config.put("downloader.recovery-interval-ms", "1000");
        config.put("downloader.stale-after-ms", Long.toString(STALE_AFTER_MS));
        config.put("quarkus.datasource.active", "false");
        config.put("quarkus.datasource.postgresql.jdbc.url", URL + "?currentSchema=" + SCHEMA);
        config.put("quarkus.datasource.postgresql.username", USER);
        config.put("quarkus.datasource.postgresql.password", "");
        config.put("quarkus.flyway.postgresql.schemas", SCHEMA);
        return config;
    }


    private static boolean postgresqlReachable() {
        try (Connection c = DriverManager.getConnection(URL, USER, "")) {
            return c.isValid(5);
        } catch (SQLException e) {
            return false;
        }
    }

    private static void sql(String statement) throws SQLException {
        try (Connection c = DriverManager.getConnection(URL, USER, ""); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private static List<String> column(String query) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(URL + "?currentSchema=" + SCHEMA, USER, "");
                PreparedStatement s = c.prepareStatement(query); ResultSet r = s.executeQuery()) {
            while (r.next()) {
                values.add(r.getString(1));
            }
        }
        return values;
    }
}
