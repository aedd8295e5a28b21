/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.promdemo.loadtest.engine.LoadModel;
import dev.promdemo.loadtest.fault.DbStress;
import dev.promdemo.loadtest.fault.FaultInjection;
import dev.promdemo.loadtest.measure.Interval;
import dev.promdemo.loadtest.measure.Monitoring;
import dev.promdemo.loadtest.measure.IntervalSampler;
import dev.promdemo.loadtest.measure.RunResult;
import dev.promdemo.loadtest.measure.StageRecording;
import dev.promdemo.loadtest.measure.StageResult;
import dev.promdemo.loadtest.measure.Verification;
import dev.promdemo.loadtest.output.Console;
import dev.promdemo.loadtest.output.IntervalLog;
import dev.promdemo.loadtest.output.PrometheusEndpoint;
import dev.promdemo.loadtest.output.Report;
import dev.promdemo.loadtest.plan.ConfigException;
import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.Outcome;
import dev.promdemo.loadtest.plan.Shard;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Stages;
import dev.promdemo.loadtest.plan.Threshold;
import dev.promdemo.loadtest.target.OrderClient;
import dev.promdemo.loadtest.target.Verifier;
import dev.promdemo.loadtest.target.Workload;
import dev.promdemo.loadtest.verdict.Judge;

/**
 * One run, wired: preflight, the plan, each stage (its load model, recording, stress, progress), the verification
 * pass, the outputs and the linger. The command line lives in {@code cli}; this class only puts the parts together.
 */
public final class LoadTest {
    private final RunConfig config;
    private final Console console;
    private volatile boolean interrupted;
    private volatile LoadModel current;
    private volatile FaultInjection currentFault;
    private volatile Judge judge;

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
        // The undo starts now, not when the stage has wound down.
        FaultInjection fault = currentFault;
        if (fault != null) {
            fault.abort();
        }
        Judge j = judge;
        if (j != null) {
            j.stop();
        }
    }

    /**
     * Runs everything.
     *
     * @param err where errors go
     * @return the exit code ({@link ExitCode})
     */
    public int run(PrintStream err) {
        boolean outExisted = Files.isDirectory(config.out());
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
            Shard shard = config.shard();
            if (config.prometheus() != null && shard.first()) {
                try {
                    judge = Judge.connect(config.prometheus(), config.promThresholds(), config.alerts(),
                                          shard.count(), console::note);
                } catch (ConfigException e) {
                    err.println("loadtest: " + e.getMessage());
                    return ExitCode.CONFIG_ERROR;
                } catch (IOException e) {
                    err.println("loadtest: Prometheus " + config.prometheus() + " is unreachable at preflight: "
                                        + e.getMessage() + " (--prometheus, PROMETHEUS_URL)");
                    return ExitCode.UNREACHABLE;
                }
            }
            // The probes' mean latency is the first guess at the service's baseline latency.
            Map<Stage, List<Threshold>> plan = new LinkedHashMap<>();
            config.stages().forEach(s -> plan.put(s, config.thresholdsFor(s)));
            console.plan(config.target().toString(), found.highestId(), found.meanNanos(), config.seed(),
                         "http://" + config.metricsHost() + ":" + metrics.port() + "/metrics", config.out(), plan,
                         config.maxInFlight(), shard.first() ? config.stress().mode() + " (" + config.stress().note()
                                 + ")" : "started by shard 1");
            if (shard.first()) {
                console.monitoringPlan(config.prometheus() == null ? null : config.prometheus().toString(),
                                       config.stageNames(), config.promThresholds(), config.alerts(),
                                       config.stages().stream().anyMatch(s -> s.fault() != null)
                                               ? config.faults().describe() : null);
            }
            if (shard.count() > 1) {
                console.note("loadtest: shard " + shard + " of one test: its share of the users and rate, seed "
                                     + config.seed() + "; " + (shard.first()
                        ? "this shard starts CPU stress and faults and judges from Prometheus, summing every load "
                                + "generator's counts"
                        : "shard 1 starts CPU stress and faults and judges from Prometheus"
                                + (config.prometheus() == null ? "" : ", so --prometheus is ignored here")));
            }
            if (judge != null) {
                judge.unhealthyRules().forEach(u -> console.note("warning: Prometheus fails to evaluate " + u));
            }
            if (config.startAt() != null && !awaitStart(err)) {
                if (!outExisted) {
                    try {
                        Files.deleteIfExists(config.out());
                    } catch (IOException e) {
                        // Not empty after all: someone else's files, left alone.
                    }
                }
                return ExitCode.CONFIG_ERROR;
            }
            return runStages(client, metrics, found, err);
        }
    }

    /**
     * Waits until {@code --start-at}, so that shards on several hosts start their first ramp together.
     *
     * @param err where the error goes
     * @return {@code false} if the time passed more than {@link RunConfig#START_LATE} ago (a configuration error)
     */
    private boolean awaitStart(PrintStream err) {
        Instant at = config.startAt();
        Duration late = Duration.between(at, Instant.now());
        if (late.compareTo(RunConfig.START_LATE) > 0) {
            err.println("loadtest: --start-at: start time " + at + " passed " + late.toSeconds() + " s ago, more than "
                                + RunConfig.START_LATE.toSeconds() + " s, so this shard would start out of step with "
                                + "the others; nothing was sent");
            return false;
        }
        if (late.isNegative()) {
            console.note(String.format(Locale.ROOT, "loadtest: waiting %.1fs until %s (--start-at)",
                                       late.negated().toMillis() / 1000.0, at));
        }
        Duration slice = Duration.ofMillis(100);
        while (!interrupted) {
            Duration left = Duration.between(Instant.now(), at);
            if (left.isNegative() || left.isZero()) {
                break;
            }
            try {
                Thread.sleep(left.compareTo(slice) < 0 ? left : slice);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return true;
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
                // The ticker's last sample and the stage's final one can overlap: taking, logging and listing an
                // interval is one step, so the log and the series hold the intervals in the same order.
                StageResult result = runStage(config.stages().get(i), i, found.meanNanos(), client, metrics, workload,
                                              created, random.split(), ticker, rec -> {
                                                  synchronized (points) {
                                                      Interval interval = sampler.sample(rec);
                                                      hlog.write(interval);
                                                      console.progress(interval);
                                                      points.add(interval.point());
                                                  }
                                              });
                hlog.writeSteady(result);
                results.add(result);
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
        Monitoring monitoring = null;
        if (judge != null) {
            monitoring = judge.finish(runStart, results.isEmpty() ? Instant.now() : results.getLast().ended(),
                                      interrupted);
        }
        int code = interrupted ? ExitCode.INTERRUPTED
                : results.stream().allMatch(StageResult::passed) && (verification == null || verification.passed())
                        && (monitoring == null || monitoring.passed())
                ? ExitCode.PASS : ExitCode.FAILED;
        List<Interval.Point> series;
        synchronized (points) {
            series = List.copyOf(points);
        }
        RunResult run = new RunResult(config.stageName(), config.target().toString(), config.seed(), config.args(),
                                      client.settings(), config.gitCommit(), config.stress().mode() + " (" + config.stress().note() + ")",
                                      runStart, Instant.now(), found.highestId(), results, series,
                                      console.lagWarnings(), verification, code, monitoring, config.shard(),
                                      config.startAt());
        ObjectNode summary = Report.summary(run, code == ExitCode.PASS ? "pass"
                : code == ExitCode.INTERRUPTED ? "interrupted" : "fail");
        Report.writeJson(summary, config.out().resolve("summary.json"));
        try {
            Report.html(run, summary, config.out().resolve("report.html"));
        } catch (IOException e) {
            err.println("loadtest: cannot write report.html: " + e.getMessage());
        }
        console.results(results, verification, monitoring,
                        config.out().resolve("summary.json") + ", latency.hlog, report.html",
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
        if (stage.stress() && config.stress().enabled() && !config.shard().first()) {
            console.stageNote(stage.name(), "CPU stress is started by shard 1");
        } else if (stage.stress() && config.stress().enabled()) {
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
        FaultInjection[] fault = new FaultInjection[1];
        AtomicBoolean over = new AtomicBoolean();
        if (stage.fault() != null && !config.shard().first()) {
            console.stageNote(stage.name(), "the fault is injected by shard 1");
        }
        Thread injector = stage.fault() == null || !config.shard().first() ? null
                : Thread.ofVirtual().name("loadtest-fault").start(() -> inject(stage, rec.startNanos(), over, fault));
        try {
            model.run(rec, random);
        } finally {
            ticking.cancel(false);
        }
        long endNanos = System.nanoTime();
        over.set(true);
        boolean early = interrupted || endNanos - rec.startNanos() < stage.length().toNanos();
        StageResult.StressWindow faultWindow = null;
        if (injector != null) {
            try {
                injector.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FaultInjection f = fault[0];
            if (f == null) {
                faultWindow = new StageResult.StressWindow("(not started)", Instant.now(), Instant.now(), false,
                                                           "the stage ended before its fault was due");
            } else {
                boolean cut = interrupted || f.launched()
                        && Instant.now().isBefore(f.started().plus(stage.fault().length()));
                f.stop(cut);
                currentFault = null;
                if (f.launched()) {
                    console.stageNote(stage.name(), f.problem() == null ? "fault " + stage.fault().name()
                            + " undone" : "fault " + stage.fault().name() + " was NOT undone cleanly: " + f.problem());
                }
                faultWindow = new StageResult.StressWindow(f.command(), f.started(), f.ended(), f.launched(),
                                                           f.problem());
            }
        }
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
        StageResult result = StageResult.collect(rec, started, ended, endNanos, interrupted, window,
                                                 config.thresholdsFor(stage), faultWindow);
        if (judge != null) {
            StageResult.StressWindow w = faultWindow != null ? faultWindow : window;
            long acked = result.ops().get(Operation.WRITE).counts()[Outcome.OK.ordinal()];
            judge.stageEnded(new Judge.Window(stage.name(), index, started, ended, w == null ? null : w.started(),
                                              w == null ? null : w.ended(), w == null || w.launched(),
                                              stage.fault() != null ? stage.fault().length() : stage.length(), acked,
                                              interrupted || result.interrupted()));
        }
        return result;
    }

    /** Waits for the fault's moment in the stage, then injects it; the undo is {@link FaultInjection#stop}'s. */
    private void inject(Stage stage, long stageStartNanos, AtomicBoolean over, FaultInjection[] holder) {
        long due = stageStartNanos + stage.fault().after().toNanos();
        while (!interrupted && !over.get() && System.nanoTime() < due) {
            try {
                Thread.sleep(Math.max(1, Math.min(200, (due - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (interrupted || over.get()) {
            return;
        }
        console.stageNote(stage.name(), "injecting " + stage.fault().name() + ": " + Stages.describe(stage.fault()));
        FaultInjection f = FaultInjection.start(config.faults(), stage.fault().name(), stage.fault().length());
        holder[0] = f;
        currentFault = f;
        if (interrupted) {
            f.abort();
        }
        console.stageNote(stage.name(), f.launched() ? "fault in effect: " + f.command()
                : "fault " + stage.fault().name() + " did not start, so this stage fails: " + f.problem());
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
