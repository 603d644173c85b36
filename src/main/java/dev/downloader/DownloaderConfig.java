package dev.downloader;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;

/**
 * The `downloader.*` keys; their defaults and documentation live in application.properties, their one home. Some are
 * read only by the routes (as {{placeholders}}); they are declared here too so that a misspelt key fails at start.
 */
@ConfigMapping(prefix = "downloader")
public interface DownloaderConfig {

    Path dataDir();

    Topic topic();

    MemorySize chunkSize();

    MemorySize minChunkSize();

    MemorySize maxChunkSize();

    int maxChunks();

    int connections();

    int maxConnectionsPerHost();

    int maxActiveDownloads();

    Optional<MemorySize> maxSize();

    MemorySize bufferSize();

    Optional<String> nodeId();

    Origin origin();

    RequestHeaders requestHeaders();

    Proxy proxy();

    String consumerGroup();

    Retry retry();

    java.time.Duration claimInterval();

    long heartbeatIntervalMs();

    interface Topic {
        String requests();

        String results();

        String dlq();

        String progress();
    }

    interface Retry {
        int maxRedeliveries();

        long initialDelayMs();

        long maxDelayMs();
    }

    interface Proxy {
        Optional<java.net.URI> url();

        Optional<List<String>> noProxy();

        Optional<String> username();

        Optional<String> password();
    }

    interface RequestHeaders {
        List<String> allowed();
    }

    interface Origin {
        boolean allowPrivate();

        Optional<List<String>> allowedPrivateNetworks();

        boolean allowHttpsToHttpRedirect();

        Optional<List<String>> allowedHosts();

        Optional<List<String>> deniedHosts();
    }
}
