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
 * The digests of a file whose chunks land out of order. The bytes that continue the hashed prefix are hashed as they
 * are written; the rest is read back from the file once the chunks before it are done. The checksum is ready when the
 * last chunk lands, and no chunk is held in memory.
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

    /**
     * Bytes a lane just wrote at {@code position} of its range, which starts at {@code rangeStart} and is on disk up
     * to {@code position}: hashed at once when the hashed prefix has reached the range (what the lane wrote before
     * that is read back first), so the file is read back only for what arrived ahead of its turn. Bytes written again
     * by a retry are hashed once; a lane that finds the digest busy leaves its bytes to the read-back.
     */
    public void offer(long rangeStart, long position, ByteBuffer bytes, FileChannel file) {
        long prefix = hashedBytes;
        if (prefix < rangeStart || prefix >= position + bytes.remaining() || !lock.tryLock()) {
            return;
        }
        try {
            if (hashedBytes < position) {
                readBack(file, position);
            }
            long skip = hashedBytes - position;
            if (skip >= 0 && skip < bytes.remaining()) {
                ByteBuffer fresh = bytes.duplicate();
                fresh.position(fresh.position() + (int) skip);
                update(fresh);
            }
        } catch (IOException e) {
            // left to the read-back once the range is done, which reports a file that cannot be read
        } finally {
            lock.unlock();
        }
    }

    /** True when every chunk is done and hashed. */
    public boolean complete(ChunkLedger ledger) {
        return ledger.allDone() && nextToHash(ledger) == null;
    }

    /**
     * The done chunk the hashed prefix ends in (at its start, or inside it when its first bytes were hashed in flight);
     * never the one just hashed (a stream of unknown length may be empty).
     */
    private Chunk nextToHash(ChunkLedger ledger) {
        Chunk next = ledger.doneChunkHolding(hashedBytes);
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
            readBack(file, chunk.lengthKnown() ? chunk.end() + 1 : file.size());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Under the lock: hashes the file from the end of the hashed prefix up to {@code end}. */
    private void readBack(FileChannel file, long end) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(READ_BUFFER);
        long position = hashedBytes;
        while (position < end) {
            buffer.clear().limit((int) Math.min(READ_BUFFER, end - position));
            int read = file.read(buffer, position);
            if (read < 0) {
                throw new IOException("file ends at " + position + " before " + end);
            }
            buffer.flip();
            update(buffer);
            position += read;
        }
    }

    /** Under the lock: the bytes that follow the hashed prefix. */
    private void update(ByteBuffer bytes) {
        int length = bytes.remaining();
        if (requested != null) {
            requested.update(bytes.duplicate());
        }
        sha256.update(bytes);
        hashedBytes += length;
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
