package dev.downloader;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

import org.apache.camel.ExchangeProperty;

import dev.downloader.outcome.Outcome;
import dev.downloader.plan.ChunkLedger;
import dev.downloader.request.DownloadRequest;

/**
 * The last steps of a download: verify the part file (size, checksum), then make it visible at its target in one
 * atomic rename, durable first, with meta/&lt;id&gt;.json beside it.
 */
@ApplicationScoped
@Named("fileFinisher")
public class FileFinisher {

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

    /** fsync, then one atomic rename: the target either does not exist or holds the whole verified file. */
    public void moveToTarget(@ExchangeProperty(DownloadJob.PROPERTY) DownloadJob job) {
        Path target = dataDir.resolve(job.target()).normalize();
        try {
            job.part().force(true);
            job.part().close();
            Files.createDirectories(target.getParent());
            Files.move(job.partFile(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(target.getParent());
        } catch (IOException e) {
            throw new DownloadFailure(ErrorCode.STORAGE.name(), "cannot move the file to " + job.target() + ": " + e,
                    null, false, e);
        }
    }

    /** meta/&lt;id&gt;.json: the result beside the file, for lookup without the database. */
    public void writeMeta(Outcome result) {
        Path meta = dataDir.resolve("meta");
        try {
            Files.createDirectories(meta);
            Path tmp = meta.resolve(result.id() + ".json.tmp");
            Files.writeString(tmp, result.json(), StandardCharsets.UTF_8);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(tmp, meta.resolve(result.id() + ".json"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new DownloadFailure(ErrorCode.STORAGE.name(), "cannot write meta/" + result.id() + ".json: " + e,
                    null, false, e);
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
