package dev.downloader.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

import dev.downloader.DownloadFailure;
import dev.downloader.ErrorCode;

/**
 * Streams a response body to its offset in the part file through one small buffer: memory per connection is the
 * buffer, whatever the chunk or file size. Reports each buffer written, so a retried chunk resumes after the bytes
 * already on disk.
 */
public final class OffsetWriter {

    /** Unbounded read: the stream's own end is the end. */
    public static final long TO_END_OF_STREAM = -1;

    private final int bufferSize;

    public OffsetWriter(int bufferSize) {
        this.bufferSize = bufferSize;
    }

    /**
     * How many of the {@code read} bytes just read for {@code position} belong to the range and are written; fewer
     * than read ends the range there.
     */
    @FunctionalInterface
    public interface Allowance {
        int admit(long position, int read);
    }

    /** Told of every buffer written: where it went in the file, and its bytes (read-only, valid during the call). */
    @FunctionalInterface
    public interface Written {
        void wrote(long position, ByteBuffer bytes);
    }

    /** Every byte of the asked range is written. */
    public static final Allowance WHOLE_RANGE = (position, read) -> read;

    /**
     * Copies exactly {@code length} bytes (or, with {@link #TO_END_OF_STREAM}, everything up to {@code maxBytes}) from
     * {@code body} to {@code file} starting at {@code position}, unless {@code allowance} ends the range earlier (the
     * rest of it went to another connection): then the rest of the body is left unread.
     *
     * @return the bytes written
     * @throws IOException     when the stream ends early or breaks: a network failure, retryable
     * @throws DownloadFailure STORAGE when the file cannot be written, TOO_LARGE past {@code maxBytes}
     */
    public long write(InputStream body, FileChannel file, long position, long length, long maxBytes,
            Allowance allowance, Written written) throws IOException {
        byte[] bytes = new byte[bufferSize];
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        long total = 0;
        while (length == TO_END_OF_STREAM || total < length) {
            int want = length == TO_END_OF_STREAM ? bytes.length : (int) Math.min(bytes.length, length - total);
            int read = body.read(bytes, 0, want);
            if (read < 0) {
                if (length == TO_END_OF_STREAM) {
                    break;
                }
                throw new IOException("body ended after " + total + " of " + length + " bytes");
            }
            if (maxBytes > 0 && position + total + read > maxBytes) {
                throw new DownloadFailure(ErrorCode.TOO_LARGE,
                        "the origin sent more than the configured maximum of " + maxBytes + " bytes");
            }
            int kept = allowance.admit(position + total, read);
            buffer.clear().limit(kept);
            long at = position + total;
            try {
                // one write at a time per file: the kernel serialises a file's writes on its inode lock anyway, and
                // there a waiting connection spins on a CPU for as long as the copy ahead of it takes; here it parks
                synchronized (file) {
                    while (buffer.hasRemaining()) {
                        at += file.write(buffer, at);
                    }
                }
            } catch (IOException e) {
                // no cause attached: Camel matches onException on the innermost cause, and an IOException there
                // would be retried as a network error
                throw new DownloadFailure(ErrorCode.STORAGE, "cannot write the part file: " + e.getMessage());
            }
            total += kept;
            written.wrote(at - kept, ByteBuffer.wrap(bytes, 0, kept).asReadOnlyBuffer());
            if (kept < read) {
                break;
            }
        }
        return total;
    }
}
