/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.output;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import dev.promdemo.loadtest.measure.Interval;
import dev.promdemo.loadtest.measure.StageResult;
import dev.promdemo.loadtest.plan.Operation;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * {@code latency.hlog}: HdrHistogram's interval log, one histogram per interval, tagged
 * {@code <stage>.<read|write>.<corrected|observed>} and {@code <stage>.lag}, in microseconds; and after each stage
 * its steady-state histograms (the ramp left out, as in the summary), tagged
 * {@code <stage>.steady.<read|write>.<corrected|observed>} and {@code <stage>.steady.lag}, from the end of the ramp
 * to the end of the stage. With both, the log alone holds everything the summary's percentiles come from, so the
 * logs of several shards can be added into one ({@code loadtest merge}).
 */
public final class IntervalLog implements AutoCloseable {
    /** What follows a stage's name in the tags of its steady-state histograms. */
    static final String STEADY = ".steady.";

    private final PrintStream stream;
    private final HistogramLogWriter log;

    /**
     * Opens the log and writes its header.
     *
     * @param file where
     * @param runStart when the run started, the log's base time
     * @throws IOException if it cannot be written
     */
    public IntervalLog(Path file, Instant runStart) throws IOException {
        stream = new PrintStream(Files.newOutputStream(file), false, "UTF-8");
        log = new HistogramLogWriter(stream);
        log.outputComment("loadtest interval log: tags <stage>.<read|write>.<corrected|observed> and "
                                  + "<stage>.lag per interval, <stage>.steady.<read|write>.<corrected|observed> and "
                                  + "<stage>.steady.lag per stage (ramp excluded), values in microseconds");
        log.outputLogFormatVersion();
        log.outputStartTime(runStart.toEpochMilli());
        log.setBaseTime(runStart.toEpochMilli());
        log.outputLegend();
    }

    /**
     * Appends an interval.
     *
     * @param interval the interval
     */
    public synchronized void write(Interval interval) {
        String stage = interval.stage().name();
        for (Operation op : Operation.values()) {
            write(interval.corrected().get(op), tag(stage, op, true), interval);
            write(interval.observed().get(op), tag(stage, op, false), interval);
        }
        write(interval.lag(), stage + ".lag", interval);
    }

    /**
     * Appends a finished stage's steady-state histograms.
     *
     * @param stage the stage
     */
    public synchronized void writeSteady(StageResult stage) {
        String name = stage.stage().name();
        long from = Math.min(stage.ended().toEpochMilli(),
                             stage.started().plus(stage.stage().ramp()).toEpochMilli());
        long to = stage.ended().toEpochMilli();
        for (Operation op : Operation.values()) {
            StageResult.OpStats s = stage.ops().get(op);
            write(s.corrected(), steadyTag(name, op, true), from, to);
            write(s.observed(), steadyTag(name, op, false), from, to);
        }
        write(stage.lag(), name + STEADY + "lag", from, to);
    }

    /**
     * The tag of an interval histogram.
     *
     * @param stage the stage's name
     * @param op the operation
     * @param corrected corrected or observed latency
     * @return e.g. {@code normal.read.corrected}
     */
    static String tag(String stage, Operation op, boolean corrected) {
        return stage + "." + op.label() + (corrected ? ".corrected" : ".observed");
    }

    /**
     * The tag of a steady-state histogram.
     *
     * @param stage the stage's name
     * @param op the operation
     * @param corrected corrected or observed latency
     * @return e.g. {@code normal.steady.read.corrected}
     */
    static String steadyTag(String stage, Operation op, boolean corrected) {
        return tag(stage + STEADY.substring(0, STEADY.length() - 1), op, corrected);
    }

    private void write(Histogram h, String tag, Interval interval) {
        write(h, tag, interval.startMillis(), interval.endMillis());
    }

    private void write(Histogram h, String tag, long startMillis, long endMillis) {
        Histogram copy = h.copy();
        copy.setTag(tag);
        copy.setStartTimeStamp(startMillis);
        copy.setEndTimeStamp(endMillis);
        log.outputIntervalHistogram(copy);
    }

    @Override
    public synchronized void close() {
        stream.close();
    }
}
