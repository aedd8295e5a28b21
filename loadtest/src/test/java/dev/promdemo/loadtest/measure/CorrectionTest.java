/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import java.time.Duration;

import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.Outcome;
import dev.promdemo.loadtest.plan.Stage;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The closed model's correction, on synthetic times: no clock, no threads, no sampling.
 */
class CorrectionTest {
    private static final long MS = 1_000_000;
    private static final long S = 1_000 * MS;

    @Test
    void theBaselineFollowsTheLowestWindowMedianOnceTheWindowHasClosed() {
        Correction c = new Correction(0, 100 * MS, 20 * MS);
        assertEquals(120_000, c.expectedIntervalMicros(), "think time plus the preflight's latency at first");
        for (int i = 0; i < 9; i++) {
            c.observe(i * 100 * MS, 4_000);
        }
        assertEquals(20 * MS, c.baselineNanos(), "the first window is still open");
        c.observe(Correction.WINDOW_NANOS + 1, 4_000);
        assertEquals(4 * MS, c.baselineNanos(), 0.001 * 4 * MS);
        assertEquals(104_000, c.expectedIntervalMicros(), 10);
    }

    @Test
    void aStallNeverRaisesTheBaseline() {
        Correction c = new Correction(0, 0, 20 * MS);
        c.observe(1 * S, 5_000);
        c.observe(Correction.WINDOW_NANOS + 1 * S, 1_500_000);
        c.observe(Correction.WINDOW_NANOS + 2 * S, 1_500_000);
        c.observe(3 * Correction.WINDOW_NANOS, 6_000);
        assertEquals(5 * MS, c.baselineNanos(), 0.001 * 5 * MS, "the stalled window's median is 1.5 s");
    }

    @Test
    void theBaselineHasAFloor() {
        Correction c = new Correction(0, 0, 10_000);
        assertEquals(Correction.MIN_BASELINE_NANOS, c.baselineNanos());
        c.observe(0, 1);
        c.observe(Correction.WINDOW_NANOS, 1);
        assertEquals(Correction.MIN_BASELINE_NANOS, c.baselineNanos());
    }

    @Test
    void aSlowClosedModelResponseAddsBackTheRequestsAUserWouldHaveSent() {
        // think 100 ms, baseline 10 ms: a user's cycle is 110 ms. A 1 s response stands for the 8 more requests an
        // open population would have sent meanwhile, back-filled at 890 ms, 780 ms ... 120 ms.
        Stage closed = new Stage("s", 0, 1, 0, Duration.ZERO, Duration.ofMinutes(1), 1, Duration.ofMillis(100),
                                 Duration.ofMillis(100), false);
        StageRecording rec = new StageRecording(closed, 0, 0, 10 * MS, StageRecording.Listener.NONE);
        rec.record(Operation.READ, Outcome.OK, 1 * S, 1 * S, 2 * S);
        Histogram expected = new Histogram(3);
        expected.recordValueWithExpectedInterval(1_000_000, 110_000);
        Histogram corrected = rec.steady(Operation.READ, true);
        assertEquals(expected.getTotalCount(), corrected.getTotalCount());
        assertEquals(9, corrected.getTotalCount());
        assertEquals(1, rec.steady(Operation.READ, false).getTotalCount(), "observed keeps the one response");
    }

    @Test
    void theOpenModelIsNotCorrected() {
        Stage open = new Stage("s", 0, 0, 100, Duration.ZERO, Duration.ofMinutes(1), 1, Duration.ZERO,
                               Duration.ZERO, false);
        StageRecording rec = new StageRecording(open, 0, 0, 10 * MS, StageRecording.Listener.NONE);
        // Due at 1 s, sent 200 ms late, answered at 2 s: corrected 1 s, observed 800 ms, lag 200 ms.
        rec.record(Operation.WRITE, Outcome.OK, 1 * S, 1200 * MS, 2 * S);
        Histogram corrected = rec.steady(Operation.WRITE, true);
        assertEquals(1, corrected.getTotalCount());
        assertEquals(1_000_000, corrected.getMaxValue(), 1_000);
        assertEquals(800_000, rec.steady(Operation.WRITE, false).getMaxValue(), 1_000);
        assertEquals(200_000, rec.steadyLag().getMaxValue(), 1_000);
    }
}
