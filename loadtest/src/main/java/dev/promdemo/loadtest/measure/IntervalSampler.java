/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import java.util.EnumMap;
import java.util.Map;

import dev.promdemo.loadtest.plan.Operation;
import org.HdrHistogram.Histogram;

/**
 * Takes the running stage's interval histograms every interval. Sampling only reads the recording: how often it runs
 * changes the time series, never the stage's measurement.
 */
public final class IntervalSampler {
    private final long runStartNanos;
    private final long runStartMillis;
    private long lastNanos;

    /**
     * A sampler for a run.
     *
     * @param runStartNanos when the run started ({@link System#nanoTime()})
     * @param runStartMillis the same instant, Unix time in ms
     */
    public IntervalSampler(long runStartNanos, long runStartMillis) {
        this.runStartNanos = runStartNanos;
        this.runStartMillis = runStartMillis;
        this.lastNanos = runStartNanos;
    }

    /**
     * Takes the interval that ends now.
     *
     * @param rec the running stage
     * @return what it measured
     */
    public synchronized Interval sample(StageRecording rec) {
        long now = System.nanoTime();
        // The stage ended just after a regular sample: what is left is logged, but is no point of the series.
        boolean sliver = now - lastNanos < 100_000_000L;
        long endMillis = runStartMillis + (now - runStartNanos) / 1_000_000;
        long startMillis = runStartMillis + (lastNanos - runStartNanos) / 1_000_000;
        lastNanos = now;
        Map<Operation, Histogram> corrected = new EnumMap<>(Operation.class);
        Map<Operation, Histogram> observed = new EnumMap<>(Operation.class);
        long requests = 0;
        for (Operation op : Operation.values()) {
            corrected.put(op, rec.interval(op, true));
            Histogram o = rec.interval(op, false);
            observed.put(op, o);
            requests += o.getTotalCount();
        }
        return new Interval(rec.stage(), startMillis, endMillis, (now - runStartNanos) / 1e9,
                            (now - rec.startNanos()) / 1_000_000_000L, rec.active(), rec.targetUsers(), requests,
                            rec.intervalErrors(), rec.intervalShed(), corrected, observed, rec.intervalLag(), sliver);
    }
}
