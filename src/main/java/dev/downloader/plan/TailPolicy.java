package dev.downloader.plan;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * When an idle connection helps a busy one at the end of a download, and how much it takes: the slow tail. Pure
 * arithmetic on the bytes a range has left and the rates measured so far.
 * <ul>
 * <li>A range is helped only when it would still need at least {@code minTimeLeftMillis} alone: a range about to
 * finish is not worth a new connection. Its rate counts once it has been watched for {@code observeMillis}; until
 * then it is expected to run as fast as the others.</li>
 * <li>The bytes left are shared in proportion to the rates (the helper is expected to run as fast as the download's
 * other connections), so both ends finish together: halves for equal rates (as aria2 always splits), a small share
 * for a slow connection.</li>
 * <li>A range at most 1/{@code slowRatio} of the helper's rate gives up everything when its share would be under
 * {@code minSplitBytes}: the helper takes the whole rest, and the slow connection stops.</li>
 * <li>Otherwise no piece is smaller than {@code minSplitBytes}.</li>
 * </ul>
 */
@RegisterForReflection
public record TailPolicy(long minSplitBytes, double slowRatio, long observeMillis, long minTimeLeftMillis) {

    /** Never helps: every range is fetched by the connection that took it. */
    public static final TailPolicy NONE = new TailPolicy(Long.MAX_VALUE, 0, Long.MAX_VALUE, Long.MAX_VALUE);

    /** What a range may keep when its bytes left are shared; {@link #NO_SPLIT} when it is not helped. */
    public static final long NO_SPLIT = -1;

    public boolean enabled() {
        return minSplitBytes != Long.MAX_VALUE;
    }

    /**
     * How many of {@code left} bytes the busy range keeps (the helper takes the rest), or {@link #NO_SPLIT}.
     *
     * @param left         bytes of the range nobody has started to read yet
     * @param rate         the range's bytes per second since it was taken
     * @param helperRate   bytes per second the helper is expected to reach; NaN when nothing says
     * @param watchedMillis how long the range's rate has been measured
     */
    public long keep(long left, double rate, double helperRate, long watchedMillis) {
        if (!enabled() || left <= 0) {
            return NO_SPLIT;
        }
        if (watchedMillis < observeMillis) {
            // not judged yet (a piece just cut, say): expected to run as fast as the others, never taken as slow
            if (Double.isNaN(helperRate)) {
                return NO_SPLIT;
            }
            rate = helperRate;
        }
        double timeLeftMillis = rate > 0 ? left * 1000.0 / rate : Double.POSITIVE_INFINITY;
        if (timeLeftMillis < minTimeLeftMillis) {
            return NO_SPLIT;
        }
        double helper = Double.isNaN(helperRate) ? rate : helperRate;
        boolean slow = rate * slowRatio <= helper;
        long keep = rate + helper > 0 ? (long) (left * (rate / (rate + helper))) : 0;
        if (slow && keep < minSplitBytes) {
            return 0;
        }
        if (keep < minSplitBytes || left - keep < minSplitBytes) {
            return NO_SPLIT;
        }
        return keep;
    }
}
