/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.Outcome;
import dev.promdemo.loadtest.plan.Stage;
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
 * user's normal cycle ({@link Correction}): the requests that an open population would have sent during the stall are
 * added back;</li>
 * <li><b>schedule lag</b> = sent - intended: how late the generator itself was.</li>
 * </ul>
 * Histograms are in microseconds with 3 significant digits. Requests intended before the end of the ramp count in
 * the stage's totals and the time series but not in the steady-state histograms.
 *
 * <p>The load models also report here how many users (or requests in flight) run and are wanted; a {@link Listener}
 * hears of every request and user change as it happens, for live exports such as Prometheus.
 */
public final class StageRecording {
    private static final int DIGITS = 3;

    private final Stage stage;
    private final int index;
    private final long startNanos;
    private final long steadyFromNanos;
    private final Listener listener;
    private final Correction correction;
    private final Recorder[] intervalObserved = recorders();
    private final Recorder[] intervalCorrected = recorders();
    private final Recorder[] steadyObserved = recorders();
    private final Recorder[] steadyCorrected = recorders();
    private final Recorder intervalLag = new Recorder(DIGITS);
    private final Recorder steadyLag = new Recorder(DIGITS);
    private final LongAdder[][] counts = adders();
    private final LongAdder[][] steadyCounts = adders();
    private final LongAdder intervalErrors = new LongAdder();
    private final LongAdder intervalShed = new LongAdder();
    private final AtomicInteger active = new AtomicInteger();
    private volatile int target;
    private volatile long dropped;

    /**
     * Hears of every request recorded and every change of users, as it happens.
     */
    public interface Listener {
        /** A listener that ignores everything. */
        Listener NONE = new Listener() {
            @Override
            public void request(Operation op, Outcome outcome, long correctedMicros, long lagMicros) {
            }

            @Override
            public void activeChanged(int delta) {
            }

            @Override
            public void targetUsers(int users) {
            }
        };

        /**
         * A request was recorded.
         *
         * @param op what it did
         * @param outcome how it ended
         * @param correctedMicros its latency from the intended send time
         * @param lagMicros how late it was sent
         */
        void request(Operation op, Outcome outcome, long correctedMicros, long lagMicros);

        /**
         * Users running (open model: requests in flight) went up or down.
         *
         * @param delta +1 or -1
         */
        void activeChanged(int delta);

        /**
         * The users wanted changed.
         *
         * @param users the users wanted now
         */
        void targetUsers(int users);
    }

    /**
     * A recording for a stage that starts now.
     *
     * @param stage the stage
     * @param index its position in the run
     * @param startNanos when it started ({@link System#nanoTime()})
     * @param initialBaselineNanos the first guess at the service's latency, for the closed-model correction
     * @param listener told of every request and user change
     */
    public StageRecording(Stage stage, int index, long startNanos, long initialBaselineNanos, Listener listener) {
        this.stage = stage;
        this.index = index;
        this.startNanos = startNanos;
        this.steadyFromNanos = startNanos + stage.ramp().toNanos();
        this.listener = listener;
        this.correction = new Correction(startNanos, stage.meanThinkNanos(), initialBaselineNanos);
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
    public void record(Operation op, Outcome outcome, long intendedNanos, long sentNanos, long receivedNanos) {
        long observedMicros = Math.max(0, receivedNanos - sentNanos) / 1000;
        if (!stage.open()) {
            correction.observe(receivedNanos, observedMicros);
        }
        long correctedMicros = Math.max(0, receivedNanos - intendedNanos) / 1000;
        long lagMicros = Math.max(0, sentNanos - intendedNanos) / 1000;
        int o = op.ordinal();
        intervalObserved[o].recordValue(observedMicros);
        recordCorrected(intervalCorrected[o], correctedMicros);
        intervalLag.recordValue(lagMicros);
        counts[o][outcome.ordinal()].increment();
        if (outcome.isError()) {
            intervalErrors.increment();
            if (outcome == Outcome.SHED) {
                intervalShed.increment();
            }
        }
        if (intendedNanos >= steadyFromNanos) {
            steadyObserved[o].recordValue(observedMicros);
            recordCorrected(steadyCorrected[o], correctedMicros);
            steadyLag.recordValue(lagMicros);
            steadyCounts[o][outcome.ordinal()].increment();
        }
        listener.request(op, outcome, correctedMicros, lagMicros);
    }

    private void recordCorrected(Recorder recorder, long micros) {
        if (stage.open()) {
            recorder.recordValue(micros);
        } else {
            recorder.recordValueWithExpectedInterval(micros, correction.expectedIntervalMicros());
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
     * Takes and resets the requests shed (503) since the previous call.
     *
     * @return the count
     */
    long intervalShed() {
        return intervalShed.sumThenReset();
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
     * A user (open model: a request in flight) started.
     */
    public void userStarted() {
        active.incrementAndGet();
        listener.activeChanged(1);
    }

    /**
     * A user (open model: a request in flight) ended.
     */
    public void userEnded() {
        active.decrementAndGet();
        listener.activeChanged(-1);
    }

    /**
     * Users running now (open model: requests in flight).
     *
     * @return the count
     */
    public int active() {
        return active.get();
    }

    /**
     * Sets the users wanted now.
     *
     * @param users the count (0 in the open model)
     */
    public void targetUsers(int users) {
        if (users != target) {
            target = users;
            listener.targetUsers(users);
        }
    }

    /**
     * Users wanted now (0 in the open model).
     *
     * @return the count
     */
    public int targetUsers() {
        return target;
    }

    /**
     * Notes how many open-model requests were due but never sent because the stage ended first.
     *
     * @param count the count
     */
    public void dropped(long count) {
        dropped = count;
    }

    /**
     * Open-model requests due but never sent.
     *
     * @return the count
     */
    public long dropped() {
        return dropped;
    }

    /**
     * The stage recorded.
     *
     * @return the stage
     */
    public Stage stage() {
        return stage;
    }

    /**
     * The stage's position in the run.
     *
     * @return from 0
     */
    public int index() {
        return index;
    }

    /**
     * When the stage started.
     *
     * @return {@link System#nanoTime()}
     */
    public long startNanos() {
        return startNanos;
    }

    /**
     * The baseline latency the closed-model correction uses now.
     *
     * @return nanoseconds
     */
    public long baselineNanos() {
        return correction.baselineNanos();
    }
}
