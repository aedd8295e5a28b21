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
import dev.promdemo.loadtest.plan.Operation;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * {@code latency.hlog}: HdrHistogram's interval log, one histogram per interval, tagged
 * {@code <stage>.<read|write>.<corrected|observed>} and {@code <stage>.lag}, in microseconds.
 */
public final class IntervalLog implements AutoCloseable {
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
                                  + "<stage>.lag, values in microseconds");
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
            write(interval.corrected().get(op), stage + "." + op.label() + ".corrected", interval);
            write(interval.observed().get(op), stage + "." + op.label() + ".observed", interval);
        }
        write(interval.lag(), stage + ".lag", interval);
    }

    private void write(Histogram h, String tag, Interval interval) {
        Histogram copy = h.copy();
        copy.setTag(tag);
        copy.setStartTimeStamp(interval.startMillis());
        copy.setEndTimeStamp(interval.endMillis());
        log.outputIntervalHistogram(copy);
    }

    @Override
    public synchronized void close() {
        stream.close();
    }
}
