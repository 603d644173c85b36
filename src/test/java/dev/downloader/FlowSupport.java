package dev.downloader;

import java.nio.file.Path;
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

    static Path dataDir() {
        return Path.of(ConfigProvider.getConfig().getValue("downloader.data-dir", String.class));
    }
}
