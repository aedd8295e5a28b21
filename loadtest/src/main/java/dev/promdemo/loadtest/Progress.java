/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * Every interval: takes the interval histograms of the running stage, appends a point to the time series, writes
 * them to the interval log and prints a progress line (plain when the output is not a terminal).
 */
final class Progress {
    /** Warn that the generator is the bottleneck when the interval's schedule lag p99 exceeds this. */
    static final long LAG_WARNING_MICROS = 50_000;

    private final PrintStream out;
    private final boolean terminal;
    private final HistogramLogWriter log;
    private final long runStartNanos;
    private final long runStartMillis;
    private final List<Point> points = new ArrayList<>();
    private long lastNanos;
    private int lagWarnings;

    Progress(PrintStream out, boolean terminal, HistogramLogWriter log, long runStartNanos, long runStartMillis) {
        this.out = out;
        this.terminal = terminal;
        this.log = log;
        this.runStartNanos = runStartNanos;
        this.runStartMillis = runStartMillis;
        this.lastNanos = runStartNanos;
    }

    /**
     * One point of the time series: an interval of one stage.
     *
     * @param stage the stage
     * @param t seconds since the run started (end of the interval)
     * @param users users running at the end of the interval (open model: requests in flight)
     * @param targetUsers users wanted
     * @param rps requests completed per second
     * @param errors errors in the interval
     * @param requests requests completed in the interval
     * @param p50 corrected median, ms
     * @param p95 corrected p95, ms
     * @param p99 corrected p99, ms
     * @param observedP99 observed p99, ms
     * @param lagP99 schedule lag p99, ms
     */
    record Point(String stage, double t, int users, int targetUsers, double rps, long errors, long requests,
                 double p50, double p95, double p99, double observedP99, double lagP99) {
    }

    /**
     * Records the interval that ends now.
     *
     * @param rec the running stage
     * @param runner its runner
     */
    synchronized void sample(StageRecording rec, StageRunner runner) {
        long now = System.nanoTime();
        // The stage ended just after a regular sample: log what is left, but add no empty point to the series.
        boolean sliver = now - lastNanos < 100_000_000L;
        long endMillis = runStartMillis + (now - runStartNanos) / 1_000_000;
        long startMillis = runStartMillis + (lastNanos - runStartNanos) / 1_000_000;
        double seconds = Math.max(1e-3, (now - lastNanos) / 1e9);
        lastNanos = now;
        Histogram corrected = null;
        Histogram observed = null;
        for (Operation op : Operation.values()) {
            Histogram c = rec.interval(op, true);
            Histogram o = rec.interval(op, false);
            String tag = rec.stage().name() + "." + op.label();
            write(c, tag + ".corrected", startMillis, endMillis);
            write(o, tag + ".observed", startMillis, endMillis);
            corrected = merge(corrected, c);
            observed = merge(observed, o);
        }
        Histogram lag = rec.intervalLag();
        write(lag, rec.stage().name() + ".lag", startMillis, endMillis);
        long requests = observed.getTotalCount();
        long errors = rec.intervalErrors();
        if (requests > 0) {
            rec.offerBaseline(observed.getValueAtPercentile(50) * 1000);
        }
        if (sliver && requests == 0) {
            return;
        }
        Point p = new Point(rec.stage().name(), (now - runStartNanos) / 1e9, runner.active(), runner.target(),
                            requests / seconds, errors, requests, ms(corrected, 50), ms(corrected, 95),
                            ms(corrected, 99), ms(observed, 99), ms(lag, 99));
        points.add(p);
        print(rec, p, lag.getValueAtPercentile(99));
    }

    private void write(Histogram h, String tag, long startMillis, long endMillis) {
        h.setTag(tag);
        h.setStartTimeStamp(startMillis);
        h.setEndTimeStamp(endMillis);
        log.outputIntervalHistogram(h);
    }

    private static Histogram merge(Histogram into, Histogram h) {
        if (into == null) {
            return h.copy();
        }
        into.add(h);
        return into;
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    private void print(StageRecording rec, Point p, long lagP99Micros) {
        Stage stage = rec.stage();
        long elapsed = (System.nanoTime() - rec.startNanos()) / 1_000_000_000L;
        long length = stage.length().toSeconds();
        String phase = elapsed < stage.ramp().toSeconds() ? (stage.open() ? "warm-up" : "ramp") : "steady";
        double errorPct = p.requests() == 0 ? 0 : 100.0 * p.errors() / p.requests();
        String users = stage.open() ? String.format(Locale.ROOT, "in-flight %d", p.users())
                : String.format(Locale.ROOT, "users %d/%d", p.users(), p.targetUsers());
        String line = String.format(Locale.ROOT,
                                    "%-11s %s %s/%s (%s left)  %s  %.1f req/s  errors %s  "
                                            + "p50 %s  p95 %s  p99 %s  lag p99 %s",
                                    "[" + stage.name() + "]", phase, clock(elapsed), clock(length),
                                    clock(Math.max(0, length - elapsed)), users, p.rps(),
                                    color(String.format(Locale.ROOT, "%.1f%%", errorPct), errorPct > 0 ? "31" : null),
                                    fmt(p.p50()), fmt(p.p95()), fmt(p.p99()), fmt(p.lagP99()));
        out.println(line);
        if (lagP99Micros > LAG_WARNING_MICROS) {
            lagWarnings++;
            out.println(color("warning: schedule lag p99 " + fmt(lagP99Micros / 1000.0) + " > 50ms: the generator "
                                      + "itself is late (CPU, GC); its latencies include that delay", "33"));
        }
    }

    private String color(String text, String code) {
        return terminal && code != null ? "\033[" + code + "m" + text + "\033[0m" : text;
    }

    /**
     * Formats milliseconds for a progress line.
     *
     * @param ms milliseconds
     * @return e.g. {@code 3.1ms} or {@code 2.40s}
     */
    static String fmt(double ms) {
        return ms >= 1000 ? String.format(Locale.ROOT, "%.2fs", ms / 1000)
                : String.format(Locale.ROOT, ms >= 100 ? "%.0fms" : "%.1fms", ms);
    }

    private static String clock(long seconds) {
        return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }

    synchronized List<Point> points() {
        return List.copyOf(points);
    }

    synchronized int lagWarnings() {
        return lagWarnings;
    }
}
