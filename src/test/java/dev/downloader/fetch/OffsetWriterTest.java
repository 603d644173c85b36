package dev.downloader.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.downloader.DownloadFailure;

class OffsetWriterTest {

    @TempDir
    Path dir;

    private final OffsetWriter writer = new OffsetWriter(1024);

    @Test
    void writesExactlyTheRangeAtItsOffsetLeavingTheRestUntouched() throws Exception {
        Path file = dir.resolve("part");
        Files.write(file, new byte[10_000]);
        byte[] body = bytes(3000, (byte) 7);
        AtomicLong reported = new AtomicLong();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long written = writer.write(new ByteArrayInputStream(body), channel, 5000, 3000, 0, OffsetWriter.WHOLE_RANGE,
                    (at, bytes) -> reported.addAndGet(bytes.remaining()));
            assertEquals(3000, written);
        }
        assertEquals(3000, reported.get());
        byte[] after = Files.readAllBytes(file);
        assertEquals(10_000, after.length);
        assertArrayEquals(new byte[5000], Arrays.copyOfRange(after, 0, 5000));
        assertArrayEquals(body, Arrays.copyOfRange(after, 5000, 8000));
        assertArrayEquals(new byte[2000], Arrays.copyOfRange(after, 8000, 10_000));
    }

    @Test
    void readsNoFurtherThanTheRangeEvenWhenTheStreamHasMore() throws Exception {
        Path file = dir.resolve("part");
        try (FileChannel channel = open(file); InputStream in = new ByteArrayInputStream(bytes(5000, (byte) 1))) {
            assertEquals(2500, writer.write(in, channel, 0, 2500, 0, OffsetWriter.WHOLE_RANGE,
                (at, bytes) -> { }));
            assertEquals(2500, in.available(), "the rest of the stream was left unread");
        }
        assertEquals(2500, Files.size(file));
    }

    @Test
    void aShortBodyIsANetworkErrorAfterKeepingWhatArrived() throws Exception {
        AtomicLong reported = new AtomicLong();
        try (FileChannel channel = open(dir.resolve("part"))) {
            IOException e = assertThrows(IOException.class, () -> writer.write(
                    new ByteArrayInputStream(bytes(1500, (byte) 2)), channel, 0, 4000, 0, OffsetWriter.WHOLE_RANGE,
                    (at, bytes) -> reported.addAndGet(bytes.remaining())));
            assertTrue(e.getMessage().contains("1500 of 4000"), e.getMessage());
        }
        assertEquals(1500, reported.get(), "the bytes on disk are reported, so a retry resumes after them");
    }

    @Test
    void aStreamOfUnknownLengthIsReadToItsEndWithinTheMaximum() throws Exception {
        try (FileChannel channel = open(dir.resolve("part"))) {
            assertEquals(3333, writer.write(new ByteArrayInputStream(bytes(3333, (byte) 3)), channel, 0,
                    OffsetWriter.TO_END_OF_STREAM, 0, OffsetWriter.WHOLE_RANGE,
                (at, bytes) -> { }));
            DownloadFailure tooLarge = assertThrows(DownloadFailure.class, () -> writer.write(
                    new ByteArrayInputStream(bytes(3333, (byte) 3)), channel, 0, OffsetWriter.TO_END_OF_STREAM, 2000,
                    OffsetWriter.WHOLE_RANGE,
                (at, bytes) -> { }));
            assertEquals("TOO_LARGE", tooLarge.code());
        }
    }

    @Test
    void aFileThatCannotBeWrittenIsAStorageFailureNotARetryableNetworkOne() throws Exception {
        FileChannel closed = open(dir.resolve("part"));
        closed.close();
        DownloadFailure failure = assertThrows(DownloadFailure.class, () -> writer.write(
                new ByteArrayInputStream(bytes(10, (byte) 4)), closed, 0, 10, 0, OffsetWriter.WHOLE_RANGE,
                (at, bytes) -> { }));
        assertEquals("STORAGE", failure.code());
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private static byte[] bytes(int length, byte value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }
}
