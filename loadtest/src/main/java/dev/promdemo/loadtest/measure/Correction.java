/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The closed model's coordinated-omission correction: the interval a user normally takes between requests, which
 * HdrHistogram's {@code recordValueWithExpectedInterval} uses to add back the requests an open population would have
 * sent while a response was slow.
 *
 * <p>The interval is the mean think time plus a baseline latency. The baseline starts at the preflight probes' mean
 * and then follows the lowest median observed latency of any fixed window of the stage ({@link #WINDOW_NANOS},
 * counted from the stage's start by the responses' own times), so a stall can never raise it and hide itself. The
 * windows come from the measurement alone: how often the console prints does not change what is measured.
 */
final class Correction {
    /** The length of a baseline window. */
    static final long WINDOW_NANOS = 5_000_000_000L;
    /** The smallest baseline: below it the expected interval is the think time alone, in effect. */
    static final long MIN_BASELINE_NANOS = 100_000;

    private final long startNanos;
    private final long meanThinkNanos;
    private final Recorder window = new Recorder(3);
    private volatile long windowIndex;
    private volatile long baselineNanos;

    /**
     * A correction for one stage.
     *
     * @param startNanos when the stage started ({@link System#nanoTime()})
     * @param meanThinkNanos the stage's mean think time
     * @param initialBaselineNanos the first guess at the baseline latency (the preflight probes' mean)
     */
    Correction(long startNanos, long meanThinkNanos, long initialBaselineNanos) {
        this.startNanos = startNanos;
        this.meanThinkNanos = meanThinkNanos;
        this.baselineNanos = Math.max(MIN_BASELINE_NANOS, initialBaselineNanos);
    }

    /**
     * Notes one response's observed latency, closing the window before it if this response is the first after it.
     *
     * @param receivedNanos when the response was received
     * @param observedMicros its observed latency (received - sent)
     */
    void observe(long receivedNanos, long observedMicros) {
        long index = Math.max(0, receivedNanos - startNanos) / WINDOW_NANOS;
        if (index != windowIndex) {
            roll(index);
        }
        window.recordValue(observedMicros);
    }

    private synchronized void roll(long index) {
        if (index <= windowIndex) {
            return;
        }
        Histogram closed = window.getIntervalHistogram();
        if (closed.getTotalCount() > 0) {
            long median = closed.getValueAtPercentile(50) * 1000;
            if (median < baselineNanos) {
                baselineNanos = Math.max(MIN_BASELINE_NANOS, median);
            }
        }
        windowIndex = index;
    }

    /**
     * The expected interval between a user's requests, for the correction.
     *
     * @return microseconds
     */
    long expectedIntervalMicros() {
        return (meanThinkNanos + baselineNanos) / 1000;
    }

    /**
     * The baseline latency now.
     *
     * @return nanoseconds
     */
    long baselineNanos() {
        return baselineNanos;
    }
}
