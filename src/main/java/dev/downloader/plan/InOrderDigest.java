package dev.downloader.plan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.locks.ReentrantLock;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The digests of a file whose chunks land out of order: they advance over the contiguous prefix of done chunks, reading
 * those bytes back from the file, so the checksum is ready when the last chunk lands and no chunk is held in memory.
 * SHA-256 is always computed (the result reports it); the algorithm the request asked for is computed beside it.
 */
@RegisterForReflection
public final class InOrderDigest {

    private static final int READ_BUFFER = 256 * 1024;

    private final MessageDigest sha256;
    private final MessageDigest requested;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile long hashedBytes;
    private volatile Chunk hashedLast;

    public InOrderDigest(String requestedAlgorithm) {
        this.sha256 = digest("SHA-256");
        this.requested = requestedAlgorithm == null || requestedAlgorithm.equals("SHA-256") ? null
                : digest(requestedAlgorithm);
    }

    /**
     * Hashes every done chunk that follows the hashed prefix, walking the file by offsets (the tail may have cut a chunk
     * in two, so indexes are not in file order). Safe to call from any lane after it finishes a chunk: one lane hashes
     * at a time, and a lane that finds another one hashing leaves the work to it.
     */
    public void advance(ChunkLedger ledger, FileChannel file) {
        while (lock.tryLock()) {
            try {
                Chunk next;
                while ((next = nextToHash(ledger)) != null) {
                    hash(next, file);
                    hashedLast = next;
                }
            } finally {
                lock.unlock();
            }
            // a lane may have finished the next chunk while we held the lock and left it to us
            if (nextToHash(ledger) == null) {
                return;
            }
        }
    }

    /** True when every chunk is done and hashed. */
    public boolean complete(ChunkLedger ledger) {
        return ledger.allDone() && nextToHash(ledger) == null;
    }

    /** The done chunk at the end of the hashed prefix; never the one just hashed (a stream of unknown length may be empty). */
    private Chunk nextToHash(ChunkLedger ledger) {
        Chunk next = ledger.doneChunkAt(hashedBytes);
        return next == null || next.equals(hashedLast) ? null : next;
    }

    public long hashedBytes() {
        return hashedBytes;
    }

    public String sha256Hex() {
        return hex(sha256);
    }

    /** The hex digest in the algorithm the request asked for (SHA-256 when it asked for none or for SHA-256). */
    public String requestedHex() {
        return requested == null ? sha256Hex() : hex(requested);
    }

    private void hash(Chunk chunk, FileChannel file) {
        try {
            long end = chunk.lengthKnown() ? chunk.end() + 1 : file.size();
            ByteBuffer buffer = ByteBuffer.allocate(READ_BUFFER);
            long position = chunk.start();
            while (position < end) {
                buffer.clear().limit((int) Math.min(READ_BUFFER, end - position));
                int read = file.read(buffer, position);
                if (read < 0) {
                    throw new IOException("file ends at " + position + " before the chunk's end " + end);
                }
                buffer.flip();
                sha256.update(buffer.duplicate());
                if (requested != null) {
                    requested.update(buffer);
                }
                position += read;
                hashedBytes += read;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hex(MessageDigest digest) {
        try {
            // clone: the digest object stays usable, so asking twice gives the same answer
            return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("unsupported digest " + algorithm, e);
        }
    }
}
