/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.Outcome;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Threshold;
import org.HdrHistogram.Histogram;

/**
 * A finished stage: its counts, steady-state histograms and threshold verdicts.
 *
 * @param stage the stage as run
 * @param started when it started
 * @param ended when it ended
 * @param steadySeconds how long the steady state lasted (after the ramp)
 * @param interrupted whether it ended early
 * @param ops per operation
 * @param all every operation together
 * @param lag steady-state schedule lag, microseconds
 * @param baselineMillis the baseline latency the closed-model correction used
 * @param stress the CPU stress window, or {@code null}
 * @param verdicts the thresholds and their verdicts
 * @param dropped open model: requests due but not sent before the stage ended
 * @param fault the fault stage's fault window, or {@code null}
 */
public record StageResult(Stage stage, Instant started, Instant ended, double steadySeconds, boolean interrupted,
                          Map<Operation, OpStats> ops, OpStats all, Histogram lag, double baselineMillis,
                          StressWindow stress, List<Verdict> verdicts, long dropped, StressWindow fault) {

    /**
     * Counts and steady-state histograms of one operation (or all).
     *
     * @param counts requests by outcome, ramp included
     * @param steadyCounts steady-state requests by outcome
     * @param observed steady-state observed latency, microseconds
     * @param corrected steady-state corrected latency, microseconds
     */
    public record OpStats(long[] counts, long[] steadyCounts, Histogram observed, Histogram corrected) {
        /**
         * Requests, ramp included.
         *
         * @return the count
         */
        public long requests() {
            long sum = 0;
            for (long c : counts) {
                sum += c;
            }
            return sum;
        }

        /**
         * Requests that ended in an error, ramp included.
         *
         * @return the count
         */
        public long errors() {
            return requests() - counts[Outcome.OK.ordinal()];
        }

        /**
         * Steady-state requests.
         *
         * @return the count
         */
        public long steadyRequests() {
            long sum = 0;
            for (long c : steadyCounts) {
                sum += c;
            }
            return sum;
        }

        /**
         * Requests the API turned away with 503 (shed), ramp included; they count among the errors too.
         *
         * @return the count
         */
        public long shed() {
            return counts[Outcome.SHED.ordinal()];
        }

        /**
         * The share of requests shed.
         *
         * @return 0 to 1, 0 without requests
         */
        public double shedRate() {
            return requests() == 0 ? 0 : (double) shed() / requests();
        }

        /**
         * The share of requests that ended in an error.
         *
         * @return 0 to 1, 0 without requests
         */
        public double errorRate() {
            return requests() == 0 ? 0 : (double) errors() / requests();
        }
    }

    /**
     * When CPU stress (or a fault) ran, or why it did not.
     *
     * @param command the command
     * @param started when it was started
     * @param ended when it was stopped
     * @param launched whether it started (and was confirmed running)
     * @param problem why it did not start (or, for a fault, why it was not undone), or {@code null}
     */
    public record StressWindow(String command, Instant started, Instant ended, boolean launched, String problem) {
    }

    /**
     * A threshold and what was measured.
     *
     * @param threshold the threshold
     * @param actual the measured value (ms, or a fraction), NaN if there were no samples
     * @param passed whether it held
     */
    public record Verdict(Threshold threshold, double actual, boolean passed) {
    }

    /**
     * Collects a finished stage and judges its thresholds.
     *
     * @param rec the recording
     * @param started when it started
     * @param ended when it ended
     * @param endNanos when it ended ({@link System#nanoTime()})
     * @param interrupted whether it ended early
     * @param stress the stress window or {@code null}
     * @param thresholds the thresholds of this stage
     * @param fault the fault window or {@code null}
     * @return the result
     */
    public static StageResult collect(StageRecording rec, Instant started, Instant ended, long endNanos, boolean interrupted,
                               StressWindow stress, List<Threshold> thresholds, StressWindow fault) {
        Map<Operation, OpStats> ops = new EnumMap<>(Operation.class);
        for (Operation op : Operation.values()) {
            long[] counts = new long[Outcome.values().length];
            long[] steady = new long[Outcome.values().length];
            for (Outcome o : Outcome.values()) {
                counts[o.ordinal()] = rec.count(op, o);
                steady[o.ordinal()] = rec.steadyCount(op, o);
            }
            ops.put(op, new OpStats(counts, steady, rec.steady(op, false), rec.steady(op, true)));
        }
        OpStats all = all(ops);
        long steadyFrom = rec.startNanos() + rec.stage().ramp().toNanos();
        double steadySeconds = Math.max(0, (endNanos - steadyFrom) / 1e9);
        return new StageResult(rec.stage(), started, ended, steadySeconds, interrupted, ops, all, rec.steadyLag(),
                               rec.baselineNanos() / 1e6, stress, judge(ops, all, thresholds), rec.dropped(), fault);
    }

    /**
     * Every operation together: counts summed and histograms added.
     *
     * @param ops per operation
     * @return the whole
     */
    public static OpStats all(Map<Operation, OpStats> ops) {
        long[] allCounts = new long[Outcome.values().length];
        long[] allSteady = new long[Outcome.values().length];
        Histogram allObserved = new Histogram(3);
        Histogram allCorrected = new Histogram(3);
        for (OpStats s : ops.values()) {
            for (int i = 0; i < allCounts.length; i++) {
                allCounts[i] += s.counts()[i];
                allSteady[i] += s.steadyCounts()[i];
            }
            allObserved.add(s.observed());
            allCorrected.add(s.corrected());
        }
        return new OpStats(allCounts, allSteady, allObserved, allCorrected);
    }

    /**
     * Judges thresholds on a stage's measurements: latency on the steady-state corrected histogram, rates on the
     * whole stage's counts; no samples fails.
     *
     * @param ops per operation
     * @param all every operation together
     * @param thresholds the stage's thresholds
     * @return a verdict per threshold
     */
    public static List<Verdict> judge(Map<Operation, OpStats> ops, OpStats all, List<Threshold> thresholds) {
        List<Verdict> verdicts = new ArrayList<>();
        for (Threshold t : thresholds) {
            OpStats s = switch (t.scope()) {
                case "read" -> ops.get(Operation.READ);
                case "write" -> ops.get(Operation.WRITE);
                default -> all;
            };
            double actual;
            if (t.isRate()) {
                actual = s.requests() == 0 ? Double.NaN : t.metric().equals("shed") ? s.shedRate() : s.errorRate();
            } else {
                actual = s.corrected().getTotalCount() == 0 ? Double.NaN
                        : s.corrected().getValueAtPercentile(t.percentile()) / 1000.0;
            }
            verdicts.add(new Verdict(t, actual, !Double.isNaN(actual) && actual < t.limit()));
        }
        return List.copyOf(verdicts);
    }

    /**
     * Whether every threshold held, the stage's stress, if it asked for any, started, and its fault, if any, started
     * and was undone: a stress or fault stage without its stress or fault must not pass quietly.
     *
     * @return {@code true} if the stage passed
     */
    public boolean passed() {
        return verdicts.stream().allMatch(Verdict::passed) && (stress == null || stress.launched())
                && (fault == null || fault.launched() && fault.problem() == null);
    }
}
