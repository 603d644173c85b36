package dev.downloader.state;

import java.util.List;

import dev.downloader.plan.Chunk;
import dev.downloader.plan.ProbeResult;

/**
 * A download's persisted plan, as a restart finds it: what the origin said when it was planned (the validator the bytes
 * on disk came with), where the file goes, and how many bytes of each chunk are safely in the part file.
 */
public record StoredPlan(ProbeResult probe, boolean ranged, String target, List<Chunk> chunks, long[] received) {

    /**
     * True when the chunks, in file order, follow each other from byte 0 to the file's last byte, as a plan made here
     * does (the tail appends the pieces it cuts, so indexes are not in file order).
     */
    public boolean coversFile() {
        long next = 0;
        for (Chunk chunk : chunks.stream().sorted(java.util.Comparator.comparingLong(Chunk::start)).toList()) {
            if (chunk.start() != next || !chunk.lengthKnown() || chunk.end() < chunk.start()) {
                return false;
            }
            next = chunk.end() + 1;
        }
        return probe.size() != null && next == probe.size();
    }

    public long receivedTotal() {
        long total = 0;
        for (long bytes : received) {
            total += bytes;
        }
        return total;
    }
}
