package dev.downloader.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TailPolicyTest {

    private static final long MIB = 1 << 20;
    /** Pieces of at least 1 MiB; a range 4x slower than the others is slow; watched 1 s; helped if 1 s or more is left. */
    private final TailPolicy policy = new TailPolicy(MIB, 4, 1000, 1000);

    @Test
    void equalRatesShareTheBytesLeftInHalves() {
        assertEquals(4 * MIB, policy.keep(8 * MIB, 1 * MIB, 1 * MIB, 2000));
    }

    @Test
    void aSlowRangeKeepsTheShareItsRateEarns() {
        // a tenth of the helper's rate: it keeps 1/11 of 22 MiB
        assertEquals(2 * MIB, policy.keep(22 * MIB, 0.8 * MIB, 8 * MIB, 2000));
    }

    @Test
    void aSlowRangeWhoseShareWouldBeTinyGivesUpEverythingLeft() {
        assertEquals(0, policy.keep(3 * MIB, 0.1 * MIB, 8 * MIB, 2000));
        assertEquals(0, policy.keep(100_000, 0, Double.NaN, 2000), "a range that delivers nothing is taken over");
    }

    @Test
    void aRangeOfTheOthersSpeedIsNotCutIntoPiecesBelowTheMinimum() {
        assertEquals(TailPolicy.NO_SPLIT, policy.keep(MIB + MIB / 2, MIB / 2, MIB / 2, 2000));
    }

    @Test
    void aRangeAboutToFinishIsLeftAlone() {
        assertEquals(TailPolicy.NO_SPLIT, policy.keep(8 * MIB, 10 * MIB, 10 * MIB, 2000), "0.8 s left alone");
        assertEquals(TailPolicy.NO_SPLIT, TailPolicy.NONE.keep(8 * MIB, 0, 8 * MIB, Long.MAX_VALUE - 1));
    }

    @Test
    void aRangeNotWatchedLongEnoughIsExpectedToRunAsFastAsTheOthers() {
        assertEquals(4 * MIB, policy.keep(8 * MIB, 0, 1 * MIB, 999), "not judged slow yet: halves");
        assertEquals(TailPolicy.NO_SPLIT, policy.keep(8 * MIB, 0, 10 * MIB, 999), "0.8 s left at the others' rate");
        assertEquals(TailPolicy.NO_SPLIT, policy.keep(8 * MIB, 0, Double.NaN, 999), "nothing to judge by");
    }

    @Test
    void withoutOtherRatesTheHelperIsExpectedToRunAsFastAsTheRange() {
        assertEquals(4 * MIB, policy.keep(8 * MIB, 1 * MIB, Double.NaN, 2000));
    }
}
