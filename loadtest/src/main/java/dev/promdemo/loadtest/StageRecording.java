/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Everything measured in one stage, recorded wait-free from many virtual threads.
 *
 * <p>Each request yields three times: when it was <em>intended</em> to start (open model: its slot in the fixed
 * schedule; closed model: the previous response plus think time), when it was actually <em>sent</em>, and when its
 * full body was received. From them:
 * <ul>
 * <li><b>observed</b> = received - sent: what a naive tool reports (the service time of the requests that were
 * sent);</li>
 * <li><b>corrected</b> = received - intended. In the open model this alone is free of coordinated omission (a stall
 * delays the later slots and they carry the wait). In the closed model a stalled user simply sends fewer requests, so
 * the value is recorded with HdrHistogram's {@code recordValueWithExpectedInterval}, the expected interval being the
 * user's normal cycle (mean think time plus the stage's baseline latency): the requests that an open population would
 * have sent during the stall are added back;</li>
 * <li><b>schedule lag</b> = sent - intended: how late the generator itself was.</li>
 * </ul>
 * Histograms are in microseconds with 3 significant digits. Requests intended before the end of the ramp count in
 * the stage's totals and the time series but not in the steady-state histograms.
 */
final class StageRecording {
    private static final int DIGITS = 3;
    private static final long MIN_BASELINE_NANOS = 100_000;

    private final Stage stage;
    private final int index;
    private final long startNanos;
    private final long steadyFromNanos;
    private final LoadMetrics.StageMetrics metrics;
    private final Recorder[] intervalObserved = recorders();
    private final Recorder[] intervalCorrected = recorders();
    private final Recorder[] steadyObserved = recorders();
    private final Recorder[] steadyCorrected = recorders();
    private final Recorder intervalLag = new Recorder(DIGITS);
    private final Recorder steadyLag = new Recorder(DIGITS);
    private final LongAdder[][] counts = adders();
    private final LongAdder[][] steadyCounts = adders();
    private final LongAdder intervalErrors = new LongAdder();
    private volatile long baselineNanos;
    private volatile long dropped;

    StageRecording(Stage stage, int index, long startNanos, long initialBaselineNanos, LoadMetrics.StageMetrics metrics) {
        this.stage = stage;
        this.index = index;
        this.startNanos = startNanos;
        this.steadyFromNanos = startNanos + stage.ramp().toNanos();
        this.metrics = metrics;
        this.baselineNanos = Math.max(MIN_BASELINE_NANOS, initialBaselineNanos);
    }

    private static Recorder[] recorders() {
        Recorder[] recorders = new Recorder[Operation.values().length];
        for (int i = 0; i < recorders.length; i++) {
            recorders[i] = new Recorder(DIGITS);
        }
        return recorders;
    }

    private static LongAdder[][] adders() {
        LongAdder[][] adders = new LongAdder[Operation.values().length][Outcome.values().length];
        for (LongAdder[] row : adders) {
            for (int i = 0; i < row.length; i++) {
                row[i] = new LongAdder();
            }
        }
        return adders;
    }

    /**
     * Records one finished request.
     *
     * @param op what it did
     * @param outcome how it ended
     * @param intendedNanos when it should have been sent ({@link System#nanoTime()})
     * @param sentNanos when it was sent
     * @param receivedNanos when its full body arrived, or it failed
     */
    void record(Operation op, Outcome outcome, long intendedNanos, long sentNanos, long receivedNanos) {
        long observedMicros = Math.max(0, receivedNanos - sentNanos) / 1000;
        long correctedMicros = Math.max(0, receivedNanos - intendedNanos) / 1000;
        long lagMicros = Math.max(0, sentNanos - intendedNanos) / 1000;
        int o = op.ordinal();
        intervalObserved[o].recordValue(observedMicros);
        recordCorrected(intervalCorrected[o], correctedMicros);
        intervalLag.recordValue(lagMicros);
        counts[o][outcome.ordinal()].increment();
        if (outcome.isError()) {
            intervalErrors.increment();
        }
        if (intendedNanos >= steadyFromNanos) {
            steadyObserved[o].recordValue(observedMicros);
            recordCorrected(steadyCorrected[o], correctedMicros);
            steadyLag.recordValue(lagMicros);
            steadyCounts[o][outcome.ordinal()].increment();
        }
        metrics.request(op, outcome, correctedMicros / 1e6);
        metrics.lag().observe(lagMicros / 1e6);
    }

    private void recordCorrected(Recorder recorder, long micros) {
        if (stage.open()) {
            recorder.recordValue(micros);
        } else {
            recorder.recordValueWithExpectedInterval(micros, (stage.meanThinkNanos() + baselineNanos) / 1000);
        }
    }

    /**
     * Moves the baseline latency used for the closed-model correction down to a new interval median: the baseline is
     * the lowest interval median seen in the stage, so a stall can never raise it and hide itself.
     *
     * @param intervalMedianNanos the median observed latency of an interval with samples
     */
    void offerBaseline(long intervalMedianNanos) {
        if (intervalMedianNanos > 0 && intervalMedianNanos < baselineNanos) {
            baselineNanos = Math.max(MIN_BASELINE_NANOS, intervalMedianNanos);
        }
    }

    /**
     * Takes the histograms recorded since the previous call, for the time series and the interval log.
     *
     * @param op the operation
     * @param corrected corrected or observed
     * @return the interval histogram
     */
    Histogram interval(Operation op, boolean corrected) {
        return (corrected ? intervalCorrected : intervalObserved)[op.ordinal()].getIntervalHistogram();
    }

    /**
     * Takes the schedule lag recorded since the previous call.
     *
     * @return the interval histogram
     */
    Histogram intervalLag() {
        return intervalLag.getIntervalHistogram();
    }

    /**
     * Takes and resets the errors counted since the previous call.
     *
     * @return the count
     */
    long intervalErrors() {
        return intervalErrors.sumThenReset();
    }

    /**
     * Takes the steady-state histograms; called once, when the stage ends.
     *
     * @param op the operation
     * @param corrected corrected or observed
     * @return everything recorded in the steady state
     */
    Histogram steady(Operation op, boolean corrected) {
        return (corrected ? steadyCorrected : steadyObserved)[op.ordinal()].getIntervalHistogram();
    }

    /**
     * Takes the steady-state schedule lag; called once, when the stage ends.
     *
     * @return the histogram
     */
    Histogram steadyLag() {
        return steadyLag.getIntervalHistogram();
    }

    /**
     * Requests so far, ramp included.
     *
     * @param op the operation
     * @param outcome the outcome
     * @return the count
     */
    long count(Operation op, Outcome outcome) {
        return counts[op.ordinal()][outcome.ordinal()].sum();
    }

    /**
     * Steady-state requests so far.
     *
     * @param op the operation
     * @param outcome the outcome
     * @return the count
     */
    long steadyCount(Operation op, Outcome outcome) {
        return steadyCounts[op.ordinal()][outcome.ordinal()].sum();
    }

    /**
     * Notes how many open-model requests were due but never sent because the stage ended first.
     *
     * @param count the count
     */
    void dropped(long count) {
        dropped = count;
    }

    long dropped() {
        return dropped;
    }

    Stage stage() {
        return stage;
    }

    int index() {
        return index;
    }

    long startNanos() {
        return startNanos;
    }

    LoadMetrics.StageMetrics metrics() {
        return metrics;
    }

    long baselineNanos() {
        return baselineNanos;
    }
}
