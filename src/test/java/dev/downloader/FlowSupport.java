package dev.downloader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.downloader.testsupport.TestOrigin;

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

    static Path dataDir() {
        return Path.of(ConfigProvider.getConfig().getValue("downloader.data-dir", String.class));
    }
}
