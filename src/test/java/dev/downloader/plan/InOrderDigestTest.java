package dev.downloader.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InOrderDigestTest {

    @TempDir
    Path dir;

    private final byte[] content = new byte[1_000_003];
    private final List<Chunk> plan = new ChunkPlanner(1000).plan(content.length, 65_536);

    InOrderDigestTest() {
        new Random(7).nextBytes(content);
    }

    @Test
    void advancesOnlyOverTheContiguousDonePrefix() throws Exception {
        try (FileChannel file = fileWith(content)) {
            ChunkLedger ledger = new ChunkLedger(plan);
            InOrderDigest digest = new InOrderDigest("SHA-256");
            ledger.markDone(1);
            digest.advance(ledger, file);
            assertEquals(0, digest.hashedBytes(), "chunk 0 is missing: nothing can be hashed yet");
            ledger.markDone(0);
            digest.advance(ledger, file);
            assertEquals(plan.get(1).end() + 1, digest.hashedBytes());
            assertFalse(digest.complete(ledger));
        }
    }

    @Test
    void outOfOrderCompletionFromManyThreadsGivesTheWholeFileDigests() throws Exception {
        try (FileChannel file = fileWith(content)) {
            ChunkLedger ledger = new ChunkLedger(plan);
            InOrderDigest digest = new InOrderDigest("MD5");
            List<Chunk> shuffled = new ArrayList<>(plan);
            Collections.shuffle(shuffled, new Random(3));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            for (Chunk chunk : shuffled) {
                pool.submit(() -> {
                    ledger.markDone(chunk.index());
                    digest.advance(ledger, file);
                });
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            assertTrue(digest.complete(ledger));
            assertEquals(content.length, digest.hashedBytes());
            assertEquals(hex("SHA-256", content), digest.sha256Hex());
            assertEquals(hex("MD5", content), digest.requestedHex());
        }
    }

    @Test
    void aSingleStreamOfUnknownLengthIsHashedToTheEndOfTheFile() throws Exception {
        try (FileChannel file = fileWith(content)) {
            ChunkLedger ledger = new ChunkLedger(new ChunkPlanner(1).singleStream(null));
            InOrderDigest digest = new InOrderDigest(null);
            ledger.markDone(0);
            digest.advance(ledger, file);
            assertEquals(hex("SHA-256", content), digest.requestedHex());
        }
    }

    @Test
    void bytesThatContinueThePrefixAreHashedAsTheyAreWrittenAndOnlyOnce() throws Exception {
        try (FileChannel file = fileWith(content)) {
            ChunkLedger ledger = new ChunkLedger(plan);
            InOrderDigest digest = new InOrderDigest("MD5");
            digest.offer(0, 0, ByteBuffer.wrap(content, 0, 1000), file);
            digest.offer(0, 500, ByteBuffer.wrap(content, 500, 1500), file);
            assertEquals(2000, digest.hashedBytes(), "a retry's bytes already hashed are skipped");
            digest.offer(0, 3000, ByteBuffer.wrap(content, 3000, 1000), file);
            assertEquals(4000, digest.hashedBytes(), "what the lane wrote before is read back, then hashed on");
            long ahead = plan.get(2).start();
            digest.offer(ahead, ahead, ByteBuffer.wrap(content, (int) ahead, 100), file);
            assertEquals(4000, digest.hashedBytes(), "bytes ahead of the prefix wait for the read-back");
            for (Chunk chunk : plan) {
                ledger.markDone(chunk.index());
            }
            digest.advance(ledger, file);
            assertTrue(digest.complete(ledger));
            assertEquals(content.length, digest.hashedBytes());
            assertEquals(hex("SHA-256", content), digest.sha256Hex());
            assertEquals(hex("MD5", content), digest.requestedHex());
        }
    }

    @Test
    void lanesWritingAndOfferingAtOnceGiveTheWholeFileDigest() throws Exception {
        try (FileChannel file = fileWith(new byte[content.length])) {
            ChunkLedger ledger = new ChunkLedger(plan);
            InOrderDigest digest = new InOrderDigest(null);
            List<Chunk> shuffled = new ArrayList<>(plan);
            Collections.shuffle(shuffled, new Random(5));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            for (Chunk chunk : shuffled) {
                pool.submit(() -> {
                    for (long at = chunk.start(); at <= chunk.end(); at += 4096) {
                        ByteBuffer piece = ByteBuffer.wrap(content, (int) at, (int) Math.min(4096, chunk.end() + 1 - at));
                        file.write(piece.duplicate(), at);
                        digest.offer(chunk.start(), at, piece, file);
                    }
                    ledger.markDone(chunk.index());
                    digest.advance(ledger, file);
                    return null;
                });
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            assertTrue(digest.complete(ledger));
            assertEquals(content.length, digest.hashedBytes());
            assertEquals(hex("SHA-256", content), digest.sha256Hex());
        }
    }

    private FileChannel fileWith(byte[] bytes) throws Exception {
        Path path = dir.resolve("part");
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        channel.write(ByteBuffer.wrap(bytes), 0);
        assertTrue(Files.size(path) == bytes.length);
        return channel;
    }

    private static String hex(String algorithm, byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
    }
}
