package dev.downloader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.ExchangeProperty;

import dev.downloader.outcome.Outcome;
import dev.downloader.plan.ChunkLedger;
import dev.downloader.request.DownloadRequest;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The last steps of a download: verify the part file (size, checksum), then make it visible at its target in one
 * atomic rename, durable first, with meta/&lt;id&gt;.json beside it.
 */
@ApplicationScoped
@Named("fileFinisher")
@RegisterForReflection(fields = false)
public class FileFinisher {

    private static final int MAX_RENAMES = 9999;

    private final Path dataDir;

    public FileFinisher(DownloaderConfig config) {
        this.dataDir = config.dataDir().toAbsolutePath().normalize();
    }

    /** Throws what stopped the chunks, or SIZE_MISMATCH / CHECKSUM_MISMATCH when the bytes are not the ones asked. */
    public void verify(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job) throws Exception {
        ChunkLedger ledger = job.ledger();
        if (ledger.failure() != null) {
            throw ledger.failure() instanceof Exception e ? e : new IllegalStateException(ledger.failure());
        }
        if (!ledger.allDone()) {
            throw new IllegalStateException(ledger.doneCount() + " of " + ledger.size() + " chunks done");
        }
        job.digest().advance(ledger, job.part());
        long received = job.part().size();
        Long expected = job.probe().size() != null ? job.probe().size() : job.request().size();
        if (expected != null && received != expected) {
            throw new DownloadFailure(ErrorCode.SIZE_MISMATCH, "expected " + expected + " bytes, received " + received);
        }
        if (job.digest().hashedBytes() != received) {
            throw new IllegalStateException("hashed " + job.digest().hashedBytes() + " of " + received + " bytes");
        }
        DownloadRequest.Checksum checksum = job.request().checksum();
        if (checksum != null && !checksum.value().equals(job.digest().requestedHex())) {
            throw new DownloadFailure(ErrorCode.CHECKSUM_MISMATCH, "expected " + checksum.algorithm() + " "
                    + checksum.value() + ", the file has " + job.digest().requestedHex());
        }
    }

    /**
     * fsync, then one atomic step: the target either does not exist or holds the whole verified file. An existing file
     * is never replaced unless the request said {@code overwrite}; a default target that is taken becomes
     * {@code name.1.ext}, {@code name.2.ext}, ... (as aria2 renames), and the result's path says which.
     */
    public void moveToTarget(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job) {
        // a download cancelled (or its node stopped) after its last byte is not placed
        job.requireNotStopped();
        try {
            job.part().force(true);
            job.part().close();
            Path parent = createParents(job.target());
            Path target = dataDir.resolve(job.target());
            if (job.request().overwrite()) {
                replace(job, target);
            } else {
                job.placedAt(dataDir.relativize(linkUnclaimed(job, target)).toString().replace('\\', '/'));
                Files.delete(job.partFile());
            }
            syncDirectory(parent);
        } catch (IOException e) {
            throw new DownloadFailure(ErrorCode.STORAGE.name(), "cannot move the file to " + job.target() + ": " + e,
                    null, false, e);
        }
    }

    /**
     * rename(2) replaces a file, or a symlink itself (never the file it points to), and fails on a directory: looked at
     * only then, as a target that is not there yet costs an exception to look at.
     */
    private void replace(DownloadJob job, Path target) throws IOException {
        try {
            Files.move(job.partFile(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw isADirectory(job.target());
            }
            throw e;
        }
    }

    /** Fails early, before the probe, when an explicit target exists and may not be overwritten. */
    public void requireTargetFree(DownloadJob job) {
        String target = job.request().target();
        if (target != null && !job.request().overwrite()
                && Files.exists(dataDir.resolve(target), LinkOption.NOFOLLOW_LINKS)) {
            throw targetExists(target);
        }
    }

    /**
     * Creates the target's directories one level at a time, refusing any existing level that is a link leading out of
     * the data directory: nothing is created or written outside it.
     */
    private Path createParents(String target) throws IOException {
        Path relativeParent = Path.of(target).getParent();
        Path current = dataDir;
        for (int i = 0; relativeParent != null && i < relativeParent.getNameCount(); i++) {
            current = current.resolve(relativeParent.getName(i));
            // nearly always there already: looked at first, as a refused mkdir costs two exceptions
            if (Files.notExists(current, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(current);
                } catch (FileAlreadyExistsException there) {
                    // made this instant by another download (or node on a shared volume): checked below
                }
            }
            if (Files.isSymbolicLink(current) && !current.toRealPath().startsWith(dataDir.toRealPath())) {
                throw new DownloadFailure(ErrorCode.TARGET_NOT_ALLOWED, "target " + target
                        + " leads out of the data directory through the link " + dataDir.relativize(current));
            }
            if (!Files.isDirectory(current)) {
                throw new DownloadFailure(ErrorCode.TARGET_EXISTS,
                        "target " + target + " needs " + dataDir.relativize(current) + " to be a directory; it is a file");
            }
        }
        return current;
    }

    /**
     * Gives the part file its name with a hard link, which fails rather than replace an existing file: an atomic
     * no-clobber rename, safe against another download finishing to the same name at the same moment.
     */
    private Path linkUnclaimed(DownloadJob job, Path target) throws IOException {
        boolean explicit = job.request().target() != null;
        for (int n = 0; n <= MAX_RENAMES; n++) {
            Path candidate = n == 0 ? target : target.resolveSibling(numbered(target.getFileName().toString(), n));
            try {
                Files.createLink(candidate, job.partFile());
                return candidate;
            } catch (FileAlreadyExistsException taken) {
                if (n == 0 && Files.isDirectory(candidate, LinkOption.NOFOLLOW_LINKS)) {
                    throw isADirectory(job.target());
                }
                if (explicit) {
                    throw targetExists(job.target());
                }
            }
        }
        throw new DownloadFailure(ErrorCode.TARGET_EXISTS, "target " + job.target() + " and " + MAX_RENAMES
                + " numbered names beside it are all taken");
    }

    /** file.bin -> file.1.bin; README -> README.1; .bashrc -> .bashrc.1 */
    static String numbered(String name, int n) {
        int dot = name.lastIndexOf('.');
        return dot <= 0 ? name + "." + n : name.substring(0, dot) + "." + n + name.substring(dot);
    }

    private static DownloadFailure isADirectory(String target) {
        return new DownloadFailure(ErrorCode.TARGET_EXISTS, "target " + target + " is a directory");
    }

    private static DownloadFailure targetExists(String target) {
        return new DownloadFailure(ErrorCode.TARGET_EXISTS,
                "target " + target + " already exists; send \"overwrite\": true to replace it");
    }

    /** meta/&lt;id&gt;.json: the result beside the file, for lookup without the database. */
    public void writeMeta(Outcome result) {
        Path meta = dataDir.resolve("meta");
        try {
            createDirectoryIfMissing(meta);
            Path tmp = meta.resolve(result.id() + ".json.tmp");
            ByteBuffer json = ByteBuffer.wrap(result.json().getBytes(StandardCharsets.UTF_8));
            // written and synced through one open file, not opened a second time to sync
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                while (json.hasRemaining()) {
                    channel.write(json);
                }
                channel.force(true);
            }
            Files.move(tmp, meta.resolve(result.id() + ".json"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new DownloadFailure(ErrorCode.STORAGE.name(), "cannot write meta/" + result.id() + ".json: " + e,
                    null, false, e);
        }
    }

    /** A directory of the data layout, made when missing (it nearly always exists: a refused mkdir costs two exceptions). */
    static void createDirectoryIfMissing(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
