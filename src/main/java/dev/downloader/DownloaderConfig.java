package dev.downloader;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.downloader.auth.AuthType;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

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

    /** A part file is synced in the background every this many bytes written to it (PartWriteback); 0: never. */
    MemorySize syncEvery();

    MemorySize maxRequestSize();

    Optional<String> nodeId();

    Origin origin();

    RequestHeaders requestHeaders();

    Proxy proxy();

    /** Credential profiles by name: {@code downloader.auth.<name>.*}. */
    Map<String, AuthProfile> auth();

    String consumerGroup();

    Retry retry();

    java.time.Duration claimInterval();

    /** How often running downloads publish a progress event (the timer route progress-tick). */
    long progressIntervalMs();

    long heartbeatIntervalMs();

    long recoveryIntervalMs();

    long staleAfterMs();

    Outbox outbox();

    Resume resume();

    Cleanup cleanup();

    Stall stall();

    Tail tail();

    Host host();

    /** All downloads of this node together receive at most this many bytes per second; 0: no cap. */
    MemorySize maxBytesPerSecond();

    Jit jit();

    /** How the JVM compiles the service (CompilerDirectives). */
    interface Jit {
        boolean c2ForDigestsOnly();
    }

    /** Politeness per origin host, across all downloads to it (OriginHosts). */
    interface Host {
        /** Requests to one host within any rolling second; 0: no limit. */
        int maxRequestsPerSecond();

        Aimd aimd();

        Breaker breaker();

        interface Aimd {
            /** The budget never shrinks below this. */
            int minConnections();

            /** At most one halving per this interval: the 429s of one burst count once. */
            long decreaseIntervalMs();
        }

        interface Breaker {
            /** The calls the failure ratio is taken over (rolling). */
            int window();

            double failureRatio();

            /** How long the host's downloads park once the circuit opens. */
            long openMs();
        }
    }

    /** The slow tail: when idle connections help busy ones (see TailPolicy). */
    interface Tail {
        /** No piece a range is cut into is smaller than this; 0 turns the help off. */
        MemorySize minSplitSize();

        /** A range this many times slower than the others gives up all its bytes left when its share would be tiny. */
        double slowRatio();

        /** How long a range's rate is watched before it is judged. */
        long observeMs();

        /** A range that would finish within this alone is left alone. */
        long minTimeLeftMs();
    }

    interface Stall {
        /** The floor a range must deliver over every window; 0 turns the watch off. */
        MemorySize minBytesPerSecond();

        long windowMs();

        /** Silence longer than this (no byte at all) fails the read: the HTTP client's socket timeout. */
        long silenceMs();
    }

    interface Cleanup {
        long intervalMs();

        int keepRowsDays();
    }

    interface Resume {
        /** How often the progress of running downloads is synced and saved (the Quartz route save-progress). */
        long saveIntervalMs();

        /** What a resumed download does when the file changed at the origin while it was stopped. */
        OnOriginChange onOriginChange();

        /**
         * Files smaller than this are fetched again after a crash instead of resumed: neither their plan nor their
         * progress is written to the database, which saves a transaction per file in floods of small files.
         */
        MemorySize minSize();

        enum OnOriginChange {
            RESTART,
            FAIL
        }
    }

    interface Outbox {
        long intervalMs();

        long graceMs();
    }

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

        /** The longest Retry-After honoured; a longer one is read as this. */
        long maxRetryAfterMs();

        /** A Retry-After longer than this parks the download instead of holding a thread. */
        long parkBeyondMs();

        int maxParks();

        long parkedCheckIntervalMs();
    }

    interface AuthProfile {
        AuthType type();

        /** Where the credentials may be sent: hosts, each also covering its subdomains. */
        List<String> hosts();

        Optional<String> token();

        Optional<String> username();

        Optional<String> password();

        Optional<String> headerName();

        Optional<String> headerValue();

        /** The Quarkus OIDC client (quarkus.oidc-client.<name>.*) of an oauth2 profile; default: the profile's name. */
        Optional<String> oidcClient();

        Optional<String> secret();

        @WithDefault("X-Signature")
        String signatureHeader();

        @WithDefault("X-Timestamp")
        String timestampHeader();

        Optional<String> keyId();

        @WithDefault("X-Key-Id")
        String keyIdHeader();
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

        /** The Quarkus TLS configuration (quarkus.tls.<name>.*) origins are verified with. */
        String tlsConfigurationName();

        Optional<List<String>> allowedHosts();

        Optional<List<String>> deniedHosts();
    }
}
