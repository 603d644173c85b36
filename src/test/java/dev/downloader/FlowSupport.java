package dev.downloader;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import javax.net.ssl.KeyManagerFactory;
import javax.sql.DataSource;
import javax.net.ssl.SSLContext;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestOrigin;
import dev.downloader.testsupport.TestServicesResource;

/** What the flow tests share: an HTTP origin of their own, test files, and where the service writes. */
abstract class FlowSupport {

    static TestOrigin origin;

    @BeforeAll
    static void startOrigin() throws Exception {
        origin = new TestOrigin();
    }

    @AfterAll
    static void stopOrigin() {
        origin.close();
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** A request record as a user writes it, for the ITs that run the packaged service. */
    static byte[] request(String id, String url, String target, int connections, long chunkSize) {
        return ("{\"id\": \"" + id + "\", \"url\": \"" + url + "\", \"target\": \"" + target
                + "\", \"connections\": " + connections + ", \"chunkSize\": " + chunkSize + "}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /**
     * Points {@code name} at {@code address} in the test JVM's hosts file (pom.xml: jdk.net.hosts.file, uncached), for
     * every lookup from now on. Names are the tests' own, so tests do not disturb each other.
     */
    static synchronized void mapHost(String name, String address) {
        try {
            Path hosts = Path.of(System.getProperty("jdk.net.hosts.file"));
            List<String> lines = new ArrayList<>(Files.readAllLines(hosts));
            lines.removeIf(line -> line.endsWith(" " + name) || line.endsWith(" " + name + "."));
            // the fully qualified form too, as DNS would answer it
            lines.add(address + " " + name);
            lines.add(address + " " + name + ".");
            Path tmp = hosts.resolveSibling(hosts.getFileName() + ".tmp");
            Files.write(tmp, lines);
            Files.move(tmp, hosts, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Exception e) {
            throw new IllegalStateException("cannot map " + name + " in the test hosts file", e);
        }
    }

    /** A server-side TLS context presenting one of TestServicesResource's certificates ("trusted", "untrusted"). */
    static SSLContext serverContext(String certificate) throws Exception {
        Path dir = Path.of(ConfigProvider.getConfig().getValue("test.tls.dir", String.class));
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve(certificate + "-keystore.p12"))) {
            keys.load(in, TestServicesResource.TLS_PASSWORD.toCharArray());
        }
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, TestServicesResource.TLS_PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(factory.getKeyManagers(), null, null);
        return context;
    }

    /** Sends {"id": id, "url": url, ...extra} and waits for its outcome. */
    static JsonNode outcome(String id, String url, String extra) {
        TestKafka.get().send(id, "{\"id\": \"" + id + "\", \"url\": \"" + url + "\"" + extra + "}");
        return TestKafka.get().awaitOutcome(id).json();
    }

    /** One column of a download's row, as text; "absent" when there is no such download. */
    static String column(DataSource dataSource, String id, String column) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT " + column + " FROM download WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getString(1) : "absent";
            }
        }
    }

    static Path dataDir() {
        return Path.of(ConfigProvider.getConfig().getValue("downloader.data-dir", String.class));
    }
}
