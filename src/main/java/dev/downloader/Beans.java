package dev.downloader;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.AggregationStrategies;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.processor.aggregate.GroupedMessageAggregationStrategy;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.downloader.auth.Credentials;
import dev.downloader.fetch.OffsetWriter;
import dev.downloader.fetch.OriginGuard;
import dev.downloader.plan.ChunkPlanner;
import dev.downloader.request.HeaderPolicy;
import dev.downloader.request.RequestValidator;

/** The plain (framework-free) parts, built from configuration. */
@ApplicationScoped
public class Beans {

    @Produces
    @Singleton
    ChunkPlanner chunkPlanner(DownloaderConfig config) {
        return new ChunkPlanner(config.maxChunks());
    }

    @Produces
    @Singleton
    @Named("requestValidator")
    RequestValidator requestValidator(ObjectMapper mapper, DownloaderConfig config, Credentials credentials) {
        return new RequestValidator(mapper, config.dataDir(), new RequestValidator.Limits(
                config.minChunkSize().asLongValue(), config.maxChunkSize().asLongValue(),
                config.maxConnectionsPerHost(), config.maxSize().map(s -> s.asLongValue()).orElse(null),
                config.maxRequestSize().asLongValue()),
                new HeaderPolicy(config.requestHeaders().allowed()), credentials::requireUsable);
    }

    @Produces
    @Singleton
    OffsetWriter offsetWriter(DownloaderConfig config) {
        return new OffsetWriter((int) config.bufferSize().asLongValue());
    }

    @Produces
    @Singleton
    OriginGuard originGuard(DownloaderConfig config) {
        DownloaderConfig.Origin origin = config.origin();
        return new OriginGuard(origin.allowPrivate(), origin.allowedPrivateNetworks().orElse(List.of()),
                origin.allowedHosts().orElse(List.of()), origin.deniedHosts().orElse(List.of()),
                origin.allowHttpsToHttpRedirect());
    }

    /** Gathers published outcomes into one list, so that they are marked published in one transaction. */
    @Produces
    @Singleton
    @Named("publishedBatch")
    AggregationStrategy publishedBatch() {
        return AggregationStrategies.groupedBody();
    }

    /**
     * Gathers progress events, each a message with its own key, into one list: the Kafka producer sends a list as one
     * record per message, together.
     */
    @Produces
    @Singleton
    @Named("progressBatch")
    AggregationStrategy progressBatch() {
        return new GroupedMessageAggregationStrategy();
    }

    /**
     * The threads the chunk split runs its lanes on: up to enough for every active download to use the most connections
     * a request may ask for, so a lane never waits for a thread. A lane is handed to an idle thread when there is one
     * (no queue), and a thread idle for a minute ends: the pool holds about as many threads as lanes run. A fixed pool
     * made a new thread for every lane until it was full, 256 threads by default, each keeping its stack and its NIO
     * buffers (a flood of 4 MiB files took the service from 142 threads and 313 MiB RSS to 346 and 382 MiB). Owned
     * (and shut down) by Camel.
     */
    @Produces
    @Singleton
    @Named("chunkFetchPool")
    ExecutorService chunkFetchPool(CamelContext camel, DownloaderConfig config) {
        return camel.getExecutorServiceManager().newThreadPool(this, "chunk-fetch",
                new ThreadPoolProfileBuilder("chunk-fetch").poolSize(1)
                        .maxPoolSize(config.maxActiveDownloads() * config.maxConnectionsPerHost())
                        .maxQueueSize(0).keepAliveTime(60L, TimeUnit.SECONDS).allowCoreThreadTimeOut(true).build());
    }
}
