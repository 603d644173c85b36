package dev.downloader.fetch;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.downloader.DownloadFailure;

class OriginGuardTest {

    @Test
    void internalAddressesIncludeTheOnesHiddenInIpv6Forms() throws Exception {
        for (String internal : new String[] {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
                "64:ff9b::a00:1", "2002:a00:1::", "224.0.0.1", "255.255.255.255"}) {
            assertTrue(OriginGuard.isInternal(InetAddress.getByName(internal)), internal);
        }
        for (String external : new String[] {"93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8",
                "2002:808:808::"}) {
            assertFalse(OriginGuard.isInternal(InetAddress.getByName(external)), external);
        }
    }

    @Test
    void allowedPrivateNetworksLetThroughOnlyTheirRange() throws Exception {
        OriginGuard guard = new OriginGuard(false, List.of("10.20.0.0/16", "127.0.0.1"), List.of(), List.of(), false);
        assertDoesNotThrow(() -> guard.checkAddresses("a", new InetAddress[] {InetAddress.getByName("10.20.3.4")}));
        assertDoesNotThrow(() -> guard.checkAddresses("a", new InetAddress[] {InetAddress.getByName("127.0.0.1")}));
        DownloadFailure refused = assertThrows(DownloadFailure.class, () -> guard.checkAddresses("a",
                new InetAddress[] {InetAddress.getByName("10.20.3.4"), InetAddress.getByName("10.21.0.1")}));
        assertEquals("ORIGIN_NOT_ALLOWED", refused.code());
        assertThrows(DownloadFailure.class,
                () -> guard.checkAddresses("a", new InetAddress[] {InetAddress.getByName("127.0.0.2")}));
        assertThrows(IllegalArgumentException.class,
                () -> new OriginGuard(false, List.of("intranet.example/8"), List.of(), List.of(), false));
    }

    @Test
    void hostListsIgnoreCaseAndTheTrailingDot() {
        OriginGuard guard = new OriginGuard(true, List.of(), List.of(".Example.COM.", "files.test"),
                List.of("Evil.Example.com"), false);
        assertEquals("a.example.com", guard.checkName("A.EXAMPLE.com."));
        assertEquals("files.test", guard.checkName("FILES.test.."));
        assertEquals("ORIGIN_NOT_ALLOWED", assertThrows(DownloadFailure.class,
                () -> guard.checkName("evil.example.com.")).code());
        assertThrows(DownloadFailure.class, () -> guard.checkName("other.test"));
        assertThrows(DownloadFailure.class, () -> guard.checkName("notexample.com"));
    }

    @Test
    void httpsDoesNotLeadToPlainHttpUnlessConfigured() {
        OriginGuard strict = new OriginGuard(true, List.of(), List.of(), List.of(), false);
        DownloadFailure refused = assertThrows(DownloadFailure.class,
                () -> strict.checkRedirect(URI.create("https://127.0.0.1/a"), URI.create("http://127.0.0.1/b")));
        assertEquals("ORIGIN_NOT_ALLOWED", refused.code());
        assertDoesNotThrow(() -> strict.checkRedirect(URI.create("http://127.0.0.1/a"), URI.create("https://127.0.0.1/b")));
        OriginGuard lenient = new OriginGuard(true, List.of(), List.of(), List.of(), true);
        assertDoesNotThrow(() -> lenient.checkRedirect(URI.create("https://127.0.0.1/a"), URI.create("http://127.0.0.1/b")));
    }
}
