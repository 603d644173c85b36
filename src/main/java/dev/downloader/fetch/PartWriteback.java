package dev.downloader.fetch;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.camel.CamelContext;

import dev.downloader.DownloaderConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Syncs a part file in the background every {@code downloader.sync-every} bytes its connections write, while they go
 * on receiving. Without it, the fsync after the last byte wrote back everything that arrived since the last progress
 * save (up to half a second of a wide download, over 100 MiB), between the last byte and the result.
 * A sync goes through a descriptor of its own: nothing that interrupts it can close the download's channel.
 */
@ApplicationScoped
public class PartWriteback {

    private final long every;
    private final ExecutorService syncer;
    private final Set<Path> queued = ConcurrentHashMap.newKeySet();
    private final Counter syncs;

    public PartWriteback(DownloaderConfig config, CamelContext camel, MeterRegistry registry) {
        this.every = config.syncEvery().asLongValue();
        // one thread serves every download: a sync mostly waits for the disk, not for a core
        this.syncer = camel.getExecutorServiceManager().newSingleThreadExecutor(this, "part-writeback");
        this.syncs = Counter.builder("downloader.part.syncs")
                .description("Part files synced in the background while their download ran")
                .register(registry);
    }

    /**
     * Told of every buffer a connection wrote to a part file, with the download's bytes written so far: the buffer that
     * takes the total past a multiple of {@code downloader.sync-every} asks for the sync (exactly one buffer does).
     */
    public void wrote(Path part, long total, int bytes) {
        if (every <= 0 || total / every == (total - bytes) / every) {
            return;
        }
        // at most one sync per file waits at a time: a slow disk is not asked again before it answered
        if (queued.add(part)) {
            try {
                syncer.execute(() -> sync(part));
            } catch (RejectedExecutionException stopping) {
                queued.remove(part);
            }
        }
    }

    private void sync(Path part) {
        try (FileChannel channel = FileChannel.open(part, StandardOpenOption.READ)) {
            channel.force(false);
            syncs.increment();
        } catch (IOException gone) {
            // placed or removed meanwhile: the download's own fsync, before it is placed, is the one that counts
        } finally {
            queued.remove(part);
        }
    }
}
