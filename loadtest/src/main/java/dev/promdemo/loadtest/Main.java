/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * {@code java -jar loadtest.jar --stage <name> [options]}: runs the stages and exits with a code that says whether
 * they passed (see {@link ExitCode} and {@code --help}).
 */
public final class Main {
    private final Options options;
    private final List<String> args;
    private final PrintStream out;
    private final boolean terminal;
    private volatile boolean interrupted;
    private volatile StageRunner current;

    private Main(Options options, List<String> args, PrintStream out, boolean terminal) {
        this.options = options;
        this.args = args;
        this.out = out;
        this.terminal = terminal;
    }

    /**
     * Runs the load test and exits.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        CountDownLatch done = new CountDownLatch(1);
        Main[] running = new Main[1];
        // Ctrl-C / SIGTERM: stop the stage, let the run write its partial results, then let the JVM exit (130).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Main main = running[0];
            if (main != null && done.getCount() > 0) {
                main.interrupt();
                try {
                    done.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                // The JVM would exit with 128 + the signal (143 for SIGTERM); the documented code is 130 for both.
                Runtime.getRuntime().halt(ExitCode.INTERRUPTED);
            }
        }, "loadtest-interrupt"));
        boolean terminal = System.console() != null && System.console().isTerminal();
        int code;
        try {
            code = run(Arrays.asList(args), System.getenv(), System.out, System.err, terminal, m -> running[0] = m);
        } catch (RuntimeException | Error e) {
            e.printStackTrace();
            code = ExitCode.INTERNAL_ERROR;
        } finally {
            done.countDown();
        }
        System.exit(code);
    }

    /**
     * Runs the load test; the testable core of {@link #main(String[])}.
     *
     * @param args the command line
     * @param env the environment
     * @param out where progress and results go
     * @param err where errors go
     * @param terminal whether {@code out} is a terminal (colors)
     * @param started told about the run before it starts, so it can be interrupted
     * @return the exit code
     */
    static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err, boolean terminal,
                   Consumer<Main> started) {
        Options options;
        try {
            options = Options.parse(args, env);
        } catch (ConfigException e) {
            err.println("loadtest: " + e.getMessage());
            return ExitCode.CONFIG_ERROR;
        }
        if (options.help()) {
            out.print(Options.HELP);
            return ExitCode.PASS;
        }
        Main main = new Main(options, args, out, terminal);
        started.accept(main);
        return main.execute(err);
    }

    /**
     * Asks the run to stop as soon as it can and write what it has.
     */
    void interrupt() {
        interrupted = true;
        StageRunner runner = current;
        if (runner != null) {
            runner.stop();
        }
    }

    private int execute(PrintStream err) {
        try {
            Files.createDirectories(options.out());
        } catch (IOException e) {
            err.println("loadtest: cannot create the output directory " + options.out() + ": " + e.getMessage());
            return ExitCode.CONFIG_ERROR;
        }
        LoadMetrics metrics;
        try {
            metrics = new LoadMetrics(options.metricsHost(), options.metricsPort());
        } catch (IOException e) {
            err.println("loadtest: cannot serve metrics on " + options.metricsHost() + ":" + options.metricsPort() + ": "
                                + e.getMessage() + " (--metrics-port, --metrics-host)");
            return ExitCode.CONFIG_ERROR;
        }
        try (metrics; OrderClient client = new OrderClient(options.target(), options.connectTimeout(),
                                                            options.requestTimeout())) {
            Workload.Discovery found;
            try {
                found = Workload.discoverHighestId(client);
            } catch (IOException e) {
                err.println("loadtest: target " + options.target() + " is unreachable at preflight: "
                                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                return ExitCode.UNREACHABLE;
            }
            long highestId = found.highestId();
            // The probes' mean latency is the first guess at the service's baseline latency.
            long probeNanos = found.meanNanos();
            printPlan(metrics.port(), highestId, probeNanos);
            return runStages(client, metrics, highestId, probeNanos, err);
        }
    }

    private int runStages(OrderClient client, LoadMetrics metrics, long highestId, long probeNanos, PrintStream err) {
        Instant runStart = Instant.now();
        long runStartNanos = System.nanoTime();
        Workload workload = new Workload(highestId, options.customers(), options.products());
        Verifier.Sample created = new Verifier.Sample(options.verify(), options.seed());
        SplittableRandom random = new SplittableRandom(options.seed());
        List<StageResult> results = new ArrayList<>();
        Progress progress;
        Path hlogFile = options.out().resolve("latency.hlog");
        try (PrintStream hlog = new PrintStream(Files.newOutputStream(hlogFile), false, "UTF-8")) {
            HistogramLogWriter log = new HistogramLogWriter(hlog);
            log.outputComment("loadtest interval log: tags <stage>.<read|write>.<corrected|observed> and "
                                      + "<stage>.lag, values in microseconds");
            log.outputLogFormatVersion();
            log.outputStartTime(runStart.toEpochMilli());
            log.setBaseTime(runStart.toEpochMilli());
            log.outputLegend();
            progress = new Progress(out, terminal, log, runStartNanos, runStart.toEpochMilli());
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "loadtest-progress");
                t.setDaemon(true);
                return t;
            });
            try {
                for (int i = 0; i < options.stages().size() && !interrupted; i++) {
                    Stage stage = options.stages().get(i);
                    results.add(runStage(stage, i, client, metrics, workload, created, random.split(), progress,
                                         ticker, probeNanos));
                }
            } finally {
                ticker.shutdownNow();
            }
        } catch (IOException e) {
            err.println("loadtest: cannot write " + hlogFile + ": " + e.getMessage());
            return ExitCode.CONFIG_ERROR;
        }
        Verifier.Result verification = null;
        if (created.enabled() && !interrupted) {
            out.println("verification: re-reading " + created.orders().size() + " of " + created.seen()
                                + " created orders");
            verification = Verifier.verify(client, created);
        }
        int code = interrupted ? ExitCode.INTERRUPTED
                : results.stream().allMatch(StageResult::passed) && (verification == null || verification.passed())
                ? ExitCode.PASS : ExitCode.FAILED;
        Report.Run run = new Report.Run(options, args, runStart, Instant.now(), highestId, results, progress.points(),
                                        progress.lagWarnings(), verification, code);
        ObjectNode summary = Report.summary(run);
        Report.writeJson(summary, options.out().resolve("summary.json"));
        try {
            Report.html(run, summary, options.out().resolve("report.html"));
        } catch (IOException e) {
            err.println("loadtest: cannot write report.html: " + e.getMessage());
        }
        printResults(results, verification, code);
        linger(metrics);
        return code;
    }

    private StageResult runStage(Stage stage, int index, OrderClient client, LoadMetrics metrics, Workload workload,
                                 Verifier.Sample created, SplittableRandom random, Progress progress,
                                 ScheduledExecutorService ticker, long probeNanos) {
        StageRunner runner = new StageRunner(client, workload, created, options.maxInFlight(),
                                             options.requestTimeout());
        current = runner;
        if (interrupted) {
            runner.stop();
        }
        Instant started = Instant.now();
        long startNanos = System.nanoTime();
        StageRecording rec = new StageRecording(stage, index, startNanos, probeNanos, metrics.stage(stage.name()));
        metrics.stageStarted(stage.name(), started);
        DbStress stress = null;
        if (stage.stress() && options.stress().enabled()) {
            stress = DbStress.start(options.stress(), stage.length());
            metrics.stressActive(stress.launched());
            out.println("[" + stage.name() + "] CPU stress " + (stress.launched() ? "started: " : "FAILED to start: ")
                                + stress.command());
        }
        long interval = options.interval().toNanos();
        var tick = ticker.scheduleAtFixedRate(() -> progress.sample(rec, runner), interval, interval,
                                              TimeUnit.NANOSECONDS);
        try {
            runner.run(rec, random);
        } finally {
            tick.cancel(false);
        }
        long endNanos = System.nanoTime();
        boolean early = interrupted || endNanos - startNanos < stage.length().toNanos();
        StageResult.StressWindow window = null;
        if (stress != null) {
            stress.stop(early);
            metrics.stressActive(false);
            window = new StageResult.StressWindow(stress.command(), stress.started(), stress.ended(), stress.launched());
            out.println("[" + stage.name() + "] CPU stress stopped");
        }
        progress.sample(rec, runner);
        Instant ended = Instant.now();
        metrics.stageEnded(stage.name(), ended);
        return StageResult.collect(rec, started, ended, endNanos, interrupted, window, options.thresholdsFor(stage));
    }

    private void printPlan(int metricsPort, long highestId, long probeNanos) {
        out.printf(Locale.ROOT, "loadtest: target %s (highest order id %d, preflight %.1fms per request), seed %d%n",
                   options.target(), highestId, probeNanos / 1e6, options.seed());
        out.printf(Locale.ROOT, "loadtest: metrics on http://%s:%d/metrics, results in %s%n", options.metricsHost(),
                   metricsPort, options.out().toAbsolutePath());
        for (Stage s : options.stages()) {
            String load = s.open() ? String.format(Locale.ROOT, "open model %.0f req/s (max %d in flight)", s.rate(),
                                                   options.maxInFlight())
                    : String.format(Locale.ROOT, "%d->%d users, think %s-%s", s.fromUsers(), s.users(),
                                    Progress.fmt(s.thinkMin().toNanos() / 1e6), Progress.fmt(s.thinkMax().toNanos() / 1e6));
            out.printf(Locale.ROOT, "  plan %-11s %s, ramp %ds + steady %ds, %.0f%% reads, expect ~%.1f req/s%s%n",
                       s.name(), load, s.ramp().toSeconds(), s.duration().toSeconds(), s.readRatio() * 100,
                       s.expectedRate(probeNanos),
                       s.stress() ? ", CPU stress: " + options.stress().mode() + " (" + options.stress().note() + ")"
                               : "");
            for (Threshold t : options.thresholdsFor(s)) {
                out.println("       threshold " + t.expression());
            }
        }
        if (Runtime.getRuntime().availableProcessors() < 2) {
            out.println("warning: only one CPU; the generator may become the bottleneck (watch schedule lag)");
        }
    }

    private void printResults(List<StageResult> results, Verifier.Result verification, int code) {
        out.println();
        out.println("results (steady state, ms; corrected = coordinated-omission-corrected, observed = as sent):");
        for (StageResult s : results) {
            double seconds = Math.max(1e-3, (s.ended().toEpochMilli() - s.started().toEpochMilli()) / 1000.0);
            out.printf(Locale.ROOT, "  %s: %.1f req/s steady (expected ~%.1f), %d requests in %.1fs (%.1f req/s), "
                               + "%d errors%s%n",
                       s.stage().name(), s.steadySeconds() <= 0 ? 0 : s.all().steadyRequests() / s.steadySeconds(),
                       s.stage().expectedRate((long) (s.baselineMillis() * 1e6)), s.all().requests(), seconds,
                       s.all().requests() / seconds,
                       s.all().errors(), s.interrupted() ? " (interrupted)" : "");
            if (s.dropped() > 0) {
                out.printf(Locale.ROOT, "    %d requests were due but not sent before the stage ended: the target (or "
                                   + "the generator) could not keep up with %.0f req/s%n", s.dropped(), s.stage().rate());
            }
            for (Operation op : Operation.values()) {
                printOp(op.label(), s.ops().get(op));
            }
            printOp("all", s.all());
            for (StageResult.Verdict v : s.verdicts()) {
                out.printf(Locale.ROOT, "    %s %s (actual %s)%n", v.passed() ? "PASS" : "FAIL",
                           v.threshold().expression(),
                           Double.isNaN(v.actual()) ? "no samples" : v.threshold().format(v.actual()));
            }
        }
        if (verification != null) {
            out.printf(Locale.ROOT, "verification: %s: %d checked of %d created, %d missing, %d different, "
                               + "%d unreadable%n", verification.passed() ? "PASS" : "FAIL", verification.checked(),
                       verification.created(), verification.missing(), verification.different(),
                       verification.unreadable());
            verification.problems().forEach(p -> out.println("  " + p));
        }
        out.println("wrote " + options.out().resolve("summary.json") + ", latency.hlog, report.html");
        out.println(switch (code) {
            case ExitCode.PASS -> "PASS";
            case ExitCode.INTERRUPTED -> "INTERRUPTED (exit 130)";
            default -> "FAIL (exit 99)";
        });
    }

    private void printOp(String name, StageResult.OpStats s) {
        if (s.requests() == 0) {
            return;
        }
        Histogram c = s.corrected();
        Histogram o = s.observed();
        out.printf(Locale.ROOT, "    %-5s n=%-7d err=%-5d corrected p50 %s p95 %s p99 %s max %s | observed p50 %s "
                           + "p95 %s p99 %s max %s%n", name, s.requests(), s.errors(), ms(c, 50), ms(c, 95), ms(c, 99),
                   ms(c, 100), ms(o, 50), ms(o, 95), ms(o, 99), ms(o, 100));
    }

    private static String ms(Histogram h, double p) {
        return h.getTotalCount() == 0 ? "-" : Progress.fmt(h.getValueAtPercentile(p) / 1000.0);
    }

    private void linger(LoadMetrics metrics) {
        if (interrupted || options.linger().isZero()) {
            return;
        }
        out.println("serving metrics for " + options.linger().toSeconds() + "s more so the last values are scraped "
                            + "(--linger)");
        long end = System.nanoTime() + options.linger().toNanos();
        while (!interrupted && System.nanoTime() < end) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
