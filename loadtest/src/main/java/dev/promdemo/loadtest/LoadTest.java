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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.promdemo.loadtest.engine.LoadModel;
import dev.promdemo.loadtest.fault.DbStress;
import dev.promdemo.loadtest.measure.Interval;
import dev.promdemo.loadtest.measure.IntervalSampler;
import dev.promdemo.loadtest.measure.RunResult;
import dev.promdemo.loadtest.measure.StageRecording;
import dev.promdemo.loadtest.measure.StageResult;
import dev.promdemo.loadtest.measure.Verification;
import dev.promdemo.loadtest.output.Console;
import dev.promdemo.loadtest.output.IntervalLog;
import dev.promdemo.loadtest.output.PrometheusEndpoint;
import dev.promdemo.loadtest.output.Report;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Threshold;
import dev.promdemo.loadtest.target.OrderClient;
import dev.promdemo.loadtest.target.Verifier;
import dev.promdemo.loadtest.target.Workload;

/**
 * One run, wired: preflight, the plan, each stage (its load model, recording, stress, progress), the verification
 * pass, the outputs and the linger. The command line lives in {@code cli}; this class only puts the parts together.
 */
public final class LoadTest {
    private final RunConfig config;
    private final Console console;
    private volatile boolean interrupted;
    private volatile LoadModel current;

    /**
     * A run.
     *
     * @param config what to run
     * @param out where progress and results go
     * @param terminal whether {@code out} is a terminal (colors)
     */
    public LoadTest(RunConfig config, PrintStream out, boolean terminal) {
        this.config = config;
        this.console = new Console(out, terminal);
    }

    /**
     * Asks the run to stop as soon as it can and write what it has.
     */
    public void interrupt() {
        interrupted = true;
        LoadModel model = current;
        if (model != null) {
            model.stop();
        }
    }

    /**
     * Runs everything.
     *
     * @param err where errors go
     * @return the exit code ({@link ExitCode})
     */
    public int run(PrintStream err) {
        try {
            Files.createDirectories(config.out());
        } catch (IOException e) {
            err.println("loadtest: cannot create the output directory " + config.out() + ": " + e.getMessage());
            return ExitCode.CONFIG_ERROR;
        }
        PrometheusEndpoint metrics;
        try {
            metrics = new PrometheusEndpoint(config.metricsHost(), config.metricsPort());
        } catch (IOException e) {
            err.println("loadtest: cannot serve metrics on " + config.metricsHost() + ":" + config.metricsPort() + ": "
                                + e.getMessage() + " (--metrics-port, --metrics-host)");
            return ExitCode.CONFIG_ERROR;
        }
        try (metrics; OrderClient client = new OrderClient(config.target(), config.connectTimeout(),
                                                            config.requestTimeout())) {
            Workload.Discovery found;
            try {
                found = Workload.discoverHighestId(client);
            } catch (IOException e) {
                err.println("loadtest: target " + config.target() + " is unreachable at preflight: "
                                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                return ExitCode.UNREACHABLE;
            }
            // The probes' mean latency is the first guess at the service's baseline latency.
            Map<Stage, List<Threshold>> plan = new LinkedHashMap<>();
            config.stages().forEach(s -> plan.put(s, config.thresholdsFor(s)));
            console.plan(config.target().toString(), found.highestId(), found.meanNanos(), config.seed(),
                         "http://" + config.metricsHost() + ":" + metrics.port() + "/metrics", config.out(), plan,
                         config.maxInFlight(), config.stress().mode() + " (" + config.stress().note() + ")");
            return runStages(client, metrics, found, err);
        }
    }

    private int runStages(OrderClient client, PrometheusEndpoint metrics, Workload.Discovery found, PrintStream err) {
        Instant runStart = Instant.now();
        IntervalSampler sampler = new IntervalSampler(System.nanoTime(), runStart.toEpochMilli());
        Workload workload = new Workload(found.highestId(), config.customers(), config.products());
        Verifier.Sample created = new Verifier.Sample(config.verify(), config.seed());
        SplittableRandom random = new SplittableRandom(config.seed());
        List<StageResult> results = new ArrayList<>();
        List<Interval.Point> points = new ArrayList<>();
        Path hlogFile = config.out().resolve("latency.hlog");
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "loadtest-progress");
            t.setDaemon(true);
            return t;
        });
        try (IntervalLog hlog = new IntervalLog(hlogFile, runStart)) {
            for (int i = 0; i < config.stages().size() && !interrupted; i++) {
                results.add(runStage(config.stages().get(i), i, found.meanNanos(), client, metrics, workload, created,
                                     random.split(), ticker, rec -> {
                                         Interval interval = sampler.sample(rec);
                                         hlog.write(interval);
                                         console.progress(interval);
                                         if (!interval.sliver() || interval.requests() > 0) {
                                             synchronized (points) {
                                                 points.add(interval.point());
                                             }
                                         }
                                     }));
            }
        } catch (IOException e) {
            err.println("loadtest: cannot write " + hlogFile + ": " + e.getMessage());
            return ExitCode.CONFIG_ERROR;
        } finally {
            ticker.shutdownNow();
        }
        Verification verification = null;
        if (created.enabled() && !interrupted) {
            console.note("verification: re-reading " + created.orders().size() + " of " + created.seen()
                                 + " created orders");
            verification = Verifier.verify(client, created);
        }
        int code = interrupted ? ExitCode.INTERRUPTED
                : results.stream().allMatch(StageResult::passed) && (verification == null || verification.passed())
                ? ExitCode.PASS : ExitCode.FAILED;
        List<Interval.Point> series;
        synchronized (points) {
            series = List.copyOf(points);
        }
        RunResult run = new RunResult(config.stageName(), config.target().toString(), config.seed(), config.args(),
                                      client.settings(), config.gitCommit(), config.stress().mode() + " (" + config.stress().note() + ")",
                                      runStart, Instant.now(), found.highestId(), results, series,
                                      console.lagWarnings(), verification, code);
        ObjectNode summary = Report.summary(run, code == ExitCode.PASS ? "pass"
                : code == ExitCode.INTERRUPTED ? "interrupted" : "fail");
        Report.writeJson(summary, config.out().resolve("summary.json"));
        try {
            Report.html(run, summary, config.out().resolve("report.html"));
        } catch (IOException e) {
            err.println("loadtest: cannot write report.html: " + e.getMessage());
        }
        console.results(results, verification, config.out().resolve("summary.json") + ", latency.hlog, report.html",
                        switch (code) {
                            case ExitCode.PASS -> "PASS";
                            case ExitCode.INTERRUPTED -> "INTERRUPTED (exit 130)";
                            default -> "FAIL (exit 99)";
                        });
        linger();
        return code;
    }

    private StageResult runStage(Stage stage, int index, long probeNanos, OrderClient client,
                                 PrometheusEndpoint metrics, Workload workload, Verifier.Sample created,
                                 SplittableRandom random, ScheduledExecutorService ticker,
                                 Consumer<StageRecording> sample) {
        LoadModel model = LoadModel.of(stage, client, workload, created, config.maxInFlight(),
                                       config.requestTimeout());
        current = model;
        if (interrupted) {
            model.stop();
        }
        // Stress first: on AWS it is confirmed running (a second or two) before the stage's clock starts.
        DbStress stress = null;
        if (stage.stress() && config.stress().enabled()) {
            stress = DbStress.start(config.stress(), stage.length());
            metrics.stressActive(stress.launched());
            console.stageNote(stage.name(), stress.launched() ? "CPU stress started: " + stress.command()
                    : "CPU stress did not start, so this stage fails: " + stress.problem());
        }
        Instant started = Instant.now();
        StageRecording rec = new StageRecording(stage, index, System.nanoTime(), probeNanos,
                                                metrics.stage(stage.name()));
        metrics.stageStarted(stage.name(), started);
        long interval = config.interval().toNanos();
        var ticking = ticker.scheduleAtFixedRate(() -> sample.accept(rec), interval, interval, TimeUnit.NANOSECONDS);
        try {
            model.run(rec, random);
        } finally {
            ticking.cancel(false);
        }
        long endNanos = System.nanoTime();
        boolean early = interrupted || endNanos - rec.startNanos() < stage.length().toNanos();
        StageResult.StressWindow window = null;
        if (stress != null) {
            stress.stop(early);
            metrics.stressActive(false);
            window = new StageResult.StressWindow(stress.command(), stress.started(), stress.ended(), stress.launched(),
                                                  stress.problem());
            if (stress.launched()) {
                console.stageNote(stage.name(), "CPU stress stopped");
            }
        }
        sample.accept(rec);
        Instant ended = Instant.now();
        metrics.stageEnded(stage.name(), ended);
        return StageResult.collect(rec, started, ended, endNanos, interrupted, window, config.thresholdsFor(stage));
    }

    private void linger() {
        if (interrupted || config.linger().isZero()) {
            return;
        }
        console.note("serving metrics for " + config.linger().toSeconds() + "s more so the last values are scraped "
                             + "(--linger)");
        long end = System.nanoTime() + config.linger().toNanos();
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
