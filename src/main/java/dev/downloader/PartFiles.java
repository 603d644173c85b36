package dev.downloader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.jboss.logging.Logger;

import dev.downloader.state.DownloadStore;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The part files under tmp/, one per unfinished download ({@code tmp/<id>.part}); those no unfinished download will
 * ever resume are removed.
 */
@ApplicationScoped
@Named("partFiles")
@RegisterForReflection(fields = false)
public class PartFiles {

    private static final Logger LOG = Logger.getLogger(PartFiles.class);
    private static final String SUFFIX = ".part";

    private final DownloadStore store;
    private final Path tmp;
    private final long quietForMs;

    public PartFiles(DownloadStore store, DownloaderConfig config) {
        this.store = store;
        this.tmp = config.dataDir().toAbsolutePath().normalize().resolve("tmp");
        this.quietForMs = config.staleAfterMs();
    }

    public Path directory() {
        return tmp;
    }

    /** Where download {@code id} is assembled. */
    public Path of(String id) {
        return tmp.resolve(id + SUFFIX);
    }

    /**
     * Removes the part files whose download has ended (a failure path that could not remove it) or is unknown (its row
     * forgotten, or another database): a queued, running or parked download's part file is kept for its resume, and
     * so is any written to within the stale-heartbeat window. Returns how many were removed.
     */
    public int removeOrphans() throws IOException, SQLException {
        if (!Files.isDirectory(tmp)) {
            return 0;
        }
        Map<String, Path> parts = new HashMap<>();
        try (Stream<Path> files = Files.list(tmp)) {
            long quietSince = System.currentTimeMillis() - quietForMs;
            files.filter(f -> f.getFileName().toString().endsWith(SUFFIX) && Files.isRegularFile(f)
                    && f.toFile().lastModified() < quietSince)
                    .forEach(f -> {
                        String name = f.getFileName().toString();
                        parts.put(name.substring(0, name.length() - SUFFIX.length()), f);
                    });
        }
        Set<String> unfinished = store.unfinished(parts.keySet());
        int removed = 0;
        for (Map.Entry<String, Path> part : parts.entrySet()) {
            if (!unfinished.contains(part.getKey()) && Files.deleteIfExists(part.getValue())) {
                LOG.infof("removed %s: no unfinished download owns it", part.getValue());
                removed++;
            }
        }
        return removed;
    }
}
