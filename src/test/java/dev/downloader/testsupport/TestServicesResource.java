package dev.downloader.testsupport;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.smallrye.certs.CertificateGenerator;
import io.smallrye.certs.CertificateRequest;
import io.smallrye.certs.Format;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * What the @QuarkusTest flows run against: a real Kafka broker, a fresh data directory (files and the H2 database) so
 * that no run sees the requests of the one before, TLS certificates for HTTPS origins (the "trusted" one is in the
 * service's origin trust store, the "untrusted" one is not), and the port of the forwarding proxy the service is
 * configured with (started by the test that uses it, {@link TestProxy}). With {@code -Dtest.postgresql.url} the
 * database is a fresh schema in that PostgreSQL instead of the embedded H2.
 */
public class TestServicesResource implements QuarkusTestResourceLifecycleManager {

    public static final String TLS_PASSWORD = "test-secret";

    private KafkaBroker broker;
    private SqlAction dropSchema;

    @Override
    public Map<String, String> start() {
        try {
            Path target = Path.of("target").toAbsolutePath();
            Files.createDirectories(target);
            broker = KafkaBroker.start(0, Files.createTempDirectory(target, "test-kafka-"));
            Path dataDir = Files.createTempDirectory(target, "test-data-");
            Path tls = Files.createTempDirectory(target, "test-tls-");
            CertificateGenerator certificates = new CertificateGenerator(tls, true);
            for (String name : new String[] {"trusted", "untrusted"}) {
                certificates.generate(new CertificateRequest().withName(name).withCN("localhost")
                        .withSubjectAlternativeName("DNS:localhost").withSubjectAlternativeName("DNS:secure.test")
                        .withSubjectAlternativeName("DNS:secure.proxied.example")
                        .withSubjectAlternativeName("IP:127.0.0.1").withFormat(Format.PKCS12)
                        .withPassword(TLS_PASSWORD).withDuration(Duration.ofDays(2)));
            }
            int proxyPort = freePort();
            int oauthPort = freePort();
            Map<String, String> config = new HashMap<>(Map.of("kafka.bootstrap.servers", broker.bootstrapServers(),
                    "downloader.data-dir", dataDir.toString(),
                    "test.tls.dir", tls.toString(),
                    "quarkus.tls.origin.trust-store.p12.path", tls.resolve("trusted-truststore.p12").toString(),
                    "quarkus.tls.origin.trust-store.p12.password", TLS_PASSWORD,
                    "downloader.proxy.url", "http://127.0.0.1:" + proxyPort,
                    "test.oauth.port", Integer.toString(oauthPort)));
            String postgresql = System.getProperty("test.postgresql.url");
            if (postgresql != null && !postgresql.isBlank()) {
                config.putAll(postgresqlSchema(postgresql));
            }
            return config;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test services", e);
        }
    }

    /**
     * The flows on PostgreSQL ({@code mvn verify -Ppostgresql}): a schema of their own in the given database, dropped at
     * the end, and the embedded H2 turned off, by configuration alone, as a user switches.
     */
    private Map<String, String> postgresqlSchema(String url) throws SQLException {
        String user = System.getProperty("test.postgresql.username", "postgres");
        String password = System.getProperty("test.postgresql.password", "");
        String schema = "downloader_test_" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(url, user, password);
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        dropSchema = () -> {
            try (Connection c = DriverManager.getConnection(url, user, password);
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        };
        return Map.of("quarkus.datasource.active", "false",
                "quarkus.datasource.postgresql.jdbc.url", url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema,
                "quarkus.datasource.postgresql.username", user,
                "quarkus.datasource.postgresql.password", password,
                "quarkus.flyway.postgresql.schemas", schema);
    }

    /** A port free now, for a server a test class starts on it (its URL must be in the configuration already). */
    private static int freePort() throws java.io.IOException {
        try (ServerSocket free = new ServerSocket(0)) {
            return free.getLocalPort();
        }
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
        }
        if (dropSchema != null) {
            try {
                dropSchema.run();
            } catch (SQLException e) {
                throw new IllegalStateException("cannot drop the test schema", e);
            }
        }
    }

    private interface SqlAction {
        void run() throws SQLException;
    }
}
