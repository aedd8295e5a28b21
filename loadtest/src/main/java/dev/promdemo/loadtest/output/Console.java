/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.output;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.promdemo.loadtest.measure.Check;
import dev.promdemo.loadtest.measure.Interval;
import dev.promdemo.loadtest.measure.Monitoring;
import dev.promdemo.loadtest.measure.StageResult;
import dev.promdemo.loadtest.measure.Verification;
import dev.promdemo.loadtest.plan.AlertExpectation;
import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.PromThreshold;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Stages;
import dev.promdemo.loadtest.plan.Threshold;
import org.HdrHistogram.Histogram;

/**
 * What a person watching sees: the plan, a progress line per interval (plain when the output is not a terminal),
 * and the results.
 */
public final class Console {
    /** Warn that the generator is the bottleneck when an interval's schedule lag p99 exceeds this. */
    public static final long LAG_WARNING_MICROS = 50_000;

    private final PrintStream out;
    private final boolean terminal;
    private int lagWarnings;

    /**
     * A console.
     *
     * @param out where to print
     * @param terminal whether it is a terminal (colors)
     */
    public Console(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /**
     * The run's plan, before any load.
     *
     * @param target the API's base URL
     * @param highestId the highest order id found at preflight
     * @param probeNanos the preflight probes' mean latency
     * @param seed the seed
     * @param metricsUrl where the Prometheus endpoint serves
     * @param results the output directory
     * @param stages the stages and their thresholds, in order
     * @param maxInFlight open model: the most requests in flight
     * @param stress how CPU stress is applied, and why
     */
    public void plan(String target, long highestId, long probeNanos, long seed, String metricsUrl, Path results,
                     Map<Stage, List<Threshold>> stages, int maxInFlight, String stress) {
        out.printf(Locale.ROOT, "loadtest: target %s (highest order id %d, preflight %.1fms per request), seed %d%n",
                   target, highestId, probeNanos / 1e6, seed);
        out.printf(Locale.ROOT, "loadtest: metrics on %s, results in %s%n", metricsUrl, results.toAbsolutePath());
        for (Map.Entry<Stage, List<Threshold>> e : stages.entrySet()) {
            Stage s = e.getKey();
            String load = s.open() ? String.format(Locale.ROOT, "open model %.0f req/s (max %d in flight)", s.partRate(),
                                                   maxInFlight)
                    : String.format(Locale.ROOT, "%d->%d users, think %s-%s", s.fromUsers(), s.users(),
                                    fmt(s.thinkMin().toNanos() / 1e6), fmt(s.thinkMax().toNanos() / 1e6));
            out.printf(Locale.ROOT, "  plan %-11s %s, ramp %ds + steady %ds, %.0f%% reads, expect ~%.1f req/s%s%n",
                       s.name(), load, s.ramp().toSeconds(), s.duration().toSeconds(), s.readRatio() * 100,
                       s.expectedRate(probeNanos), s.stress() ? ", CPU stress: " + stress : "");
            for (Threshold t : e.getValue()) {
                out.println("       threshold " + t.expression());
            }
        }
        if (Runtime.getRuntime().availableProcessors() < 2) {
            out.println("warning: only one CPU; the generator may become the bottleneck (watch schedule lag)");
        }
    }

    /**
     * What Prometheus will be asked, per stage, and where faults go.
     *
     * @param prometheus Prometheus's URL, or {@code null} when the run has none
     * @param stages the stages' names in order
     * @param thresholds the Prometheus thresholds
     * @param alerts the alert expectations
     * @param faults how faults are injected, or {@code null} when no stage has one
     */
    public void monitoringPlan(String prometheus, List<String> stages, List<PromThreshold> thresholds,
                               List<AlertExpectation> alerts, String faults) {
        if (faults != null) {
            out.println("loadtest: faults " + faults);
        }
        if (prometheus == null) {
            out.println("loadtest: no Prometheus (--prometheus, PROMETHEUS_URL): stages are judged by the generator's "
                                + "own measurements only");
            return;
        }
        out.println("loadtest: verdicts from Prometheus " + prometheus + ":");
        for (String stage : stages) {
            StringBuilder line = new StringBuilder();
            thresholds.stream().filter(t -> t.appliesTo(stage)).forEach(t -> line.append(line.isEmpty() ? "" : ", ")
                    .append(t.name().equals(t.query()) ? t.expression() : t.name() + " " + t.bound()));
            if (Stages.checksOrders(stage)) {
                line.append(line.isEmpty() ? "" : ", ").append("orders placed = acknowledged");
            }
            alerts.stream().filter(a -> a.stage().equals(stage)).forEach(a -> line.append(line.isEmpty() ? "" : ", ")
                    .append("alert ").append(a.alert()));
            out.printf(Locale.ROOT, "  judge %-11s %s%n", stage, line);
        }
    }

    /**
     * A line about a stage, such as its CPU stress starting or stopping.
     *
     * @param stage the stage name
     * @param message the message
     */
    public void stageNote(String stage, String message) {
        out.println("[" + stage + "] " + message);
    }

    /**
     * A plain line.
     *
     * @param message the message
     */
    public void note(String message) {
        out.println(message);
    }

    /**
     * The progress line of an interval, and a warning if the generator itself was late.
     *
     * @param interval the interval
     */
    public synchronized void progress(Interval interval) {
        if (interval.sliver() && interval.requests() == 0) {
            return;
        }
        Interval.Point p = interval.point();
        Stage stage = interval.stage();
        long elapsed = interval.elapsedSeconds();
        long length = stage.length().toSeconds();
        String phase = elapsed < stage.ramp().toSeconds() ? (stage.open() ? "warm-up" : "ramp") : "steady";
        double errorPct = p.requests() == 0 ? 0 : 100.0 * p.errors() / p.requests();
        String errors = String.format(Locale.ROOT, "%.1f%%", errorPct)
                + (p.shed() > 0 ? String.format(Locale.ROOT, " (shed %.1f%%)", 100.0 * p.shed() / p.requests()) : "");
        String users = stage.open() ? String.format(Locale.ROOT, "in-flight %d", p.users())
                : String.format(Locale.ROOT, "users %d/%d", p.users(), p.targetUsers());
        out.println(String.format(Locale.ROOT, "%-11s %s %s/%s (%s left)  %s  %.1f req/s  errors %s  "
                                          + "p50 %s  p95 %s  p99 %s  lag p99 %s",
                                  "[" + stage.name() + "]", phase, clock(elapsed), clock(length),
                                  clock(Math.max(0, length - elapsed)), users, p.rps(),
                                  color(errors, errorPct > 0 ? "31" : null),
                                  fmt(p.p50()), fmt(p.p95()), fmt(p.p99()), fmt(p.lagP99())));
        long lagP99 = interval.lag().getTotalCount() == 0 ? 0 : interval.lag().getValueAtPercentile(99);
        if (lagP99 > LAG_WARNING_MICROS) {
            lagWarnings++;
            out.println(color("warning: schedule lag p99 " + fmt(lagP99 / 1000.0) + " > 50ms: the generator "
                                      + "itself is late (CPU, GC); its latencies include that delay", "33"));
        }
    }

    /**
     * How many intervals warned that the generator was late.
     *
     * @return the count
     */
    public synchronized int lagWarnings() {
        return lagWarnings;
    }

    /**
     * The results of every stage, the verification pass and the verdict.
     *
     * @param results the stages
     * @param verification the verification pass, or {@code null}
     * @param monitoring what Prometheus saw, or {@code null}
     * @param files what was written
     * @param verdict the last line: PASS, FAIL (exit 99) or INTERRUPTED (exit 130)
     */
    public void results(List<StageResult> results, Verification verification, Monitoring monitoring, String files,
                        String verdict) {
        out.println();
        out.println("results (steady state, ms; corrected = coordinated-omission-corrected, observed = as sent):");
        for (StageResult s : results) {
            double seconds = Math.max(1e-3, (s.ended().toEpochMilli() - s.started().toEpochMilli()) / 1000.0);
            out.printf(Locale.ROOT, "  %s: %.1f req/s steady (expected ~%.1f), %d requests in %.1fs (%.1f req/s), "
                               + "%d errors%s%n",
                       s.stage().name(), s.steadySeconds() <= 0 ? 0 : s.all().steadyRequests() / s.steadySeconds(),
                       s.stage().expectedRate((long) (s.baselineMillis() * 1e6)), s.all().requests(), seconds,
                       s.all().requests() / seconds, s.all().errors(), s.interrupted() ? " (interrupted)" : "");
            if (s.dropped() > 0) {
                out.printf(Locale.ROOT, "    %d requests were due but not sent before the stage ended: the target (or "
                                   + "the generator) could not keep up with %.0f req/s%n", s.dropped(), s.stage().partRate());
            }
            for (Operation op : Operation.values()) {
                printOp(op.label(), s.ops().get(op));
            }
            printOp("all", s.all());
            if (s.stress() != null && !s.stress().launched()) {
                out.println("    FAIL CPU stress did not start: " + s.stress().problem());
            }
            if (s.fault() != null) {
                out.println("    " + (s.fault().launched() && s.fault().problem() == null ? "PASS fault injected and "
                        + "undone: " + s.fault().command() : "FAIL fault: " + s.fault().problem()));
            }
            for (StageResult.Verdict v : s.verdicts()) {
                out.printf(Locale.ROOT, "    %s %s (actual %s)%n", v.passed() ? "PASS" : "FAIL",
                           v.threshold().expression(),
                           Double.isNaN(v.actual()) ? "no samples" : v.threshold().format(v.actual()));
            }
            if (monitoring != null) {
                Double p95 = monitoring.stageServerP95().get(s.stage().name());
                if (p95 != null) {
                    out.printf(Locale.ROOT, "    server-side p95 %s (the API's own histogram, whole stage) beside "
                                       + "client-side corrected p95 %s%n", fmt(p95),
                               s.all().corrected().getTotalCount() == 0 ? "-"
                                       : fmt(s.all().corrected().getValueAtPercentile(95) / 1000.0));
                }
                for (Check c : monitoring.checks()) {
                    if (c.stage().equals(s.stage().name())) {
                        printCheck(c);
                    }
                }
            }
        }
        if (monitoring != null) {
            monitoring.checks().stream().filter(c -> results.stream().noneMatch(s -> s.stage().name()
                    .equals(c.stage()))).forEach(this::printCheck);
            if (!monitoring.alerts().isEmpty()) {
                out.println("alerts that fired during the run (Prometheus " + monitoring.prometheus() + "):");
                for (Monitoring.AlertSpan a : monitoring.alerts()) {
                    out.printf(Locale.ROOT, "  %-28s %-8s %s to %s%s%n", a.alert(), a.severity(), a.from(),
                               a.to() == null ? "(still firing)" : a.to(), a.expected() ? "  expected" : "");
                }
            }
            monitoring.notes().forEach(n -> out.println("note: " + n));
        }
        if (verification != null) {
            out.printf(Locale.ROOT, "verification: %s: %d checked of %d created, %d missing, %d different, "
                               + "%d unreadable%n", verification.passed() ? "PASS" : "FAIL", verification.checked(),
                       verification.created(), verification.missing(), verification.different(),
                       verification.unreadable());
            verification.problems().forEach(p -> out.println("  " + p));
        }
        out.println("wrote " + files);
        out.println(verdict);
    }

    private void printCheck(Check c) {
        out.printf(Locale.ROOT, "    %s prometheus: %s (%s)%n", c.passed() ? "PASS" : "FAIL", c.name(), c.actual());
    }

    private void printOp(String name, StageResult.OpStats s) {
        if (s.requests() == 0) {
            return;
        }
        Histogram c = s.corrected();
        Histogram o = s.observed();
        out.printf(Locale.ROOT, "    %-5s n=%-7d err=%-5d shed=%-5d corrected p50 %s p95 %s p99 %s max %s | observed "
                           + "p50 %s p95 %s p99 %s max %s%n", name, s.requests(), s.errors(), s.shed(), ms(c, 50),
                   ms(c, 95), ms(c, 99), ms(c, 100), ms(o, 50), ms(o, 95), ms(o, 99), ms(o, 100));
    }

    private static String ms(Histogram h, double p) {
        return h.getTotalCount() == 0 ? "-" : fmt(h.getValueAtPercentile(p) / 1000.0);
    }

    private String color(String text, String code) {
        return terminal && code != null ? "\033[" + code + "m" + text + "\033[0m" : text;
    }

    /**
     * Formats milliseconds for a console line.
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
}
