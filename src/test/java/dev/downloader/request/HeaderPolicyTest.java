package dev.downloader.request;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

class HeaderPolicyTest {

    @Test
    void aWildcardAllowListStillRefusesTheServiceOwnHeaders() {
        HeaderPolicy anything = new HeaderPolicy(List.of("*"));
        assertNull(anything.refusal("Referer", "https://a.example/"));
        assertNull(anything.refusal("X-Custom", "{{env:HOME}}"));
        for (String name : new String[] {"CamelHttpUri", "Host", "Range", "Authorization", "Cookie", "Upgrade",
                "X-Forwarded-Host", "Proxy-Authenticate", "X-Api-Key", "kafka.KEY", "Sec-Fetch-Mode", "A_B"}) {
            assertNotNull(anything.refusal(name, "v"), name);
        }
    }

    @Test
    void prefixEntriesMatchCaseInsensitively() {
        HeaderPolicy policy = new HeaderPolicy(List.of(" x-* ", "Accept"));
        assertNull(policy.refusal("X-Trace", "1"));
        assertNull(policy.refusal("ACCEPT", "*/*"));
        assertNotNull(policy.refusal("Accept-Language", "en"));
        assertNotNull(policy.refusal("X-Trace", "caf\u00e9"));
        assertNotNull(policy.refusal("X-Trace", "a\u0000b"));
    }
}
