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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.promdemo.loadtest.measure.Interval;
import dev.promdemo.loadtest.measure.RunResult;
import dev.promdemo.loadtest.measure.StageResult;
import dev.promdemo.loadtest.measure.Union;
import dev.promdemo.loadtest.measure.Verification;
import dev.promdemo.loadtest.output.Console;
import dev.promdemo.loadtest.output.IntervalLog;
import dev.promdemo.loadtest.output.Report;
import dev.promdemo.loadtest.output.Results;
import dev.promdemo.loadtest.plan.ConfigException;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Threshold;

/**
 * {@code loadtest merge}: joins the outputs of shards 1..N of one test into one result, as if one generator had sent
 * the whole load. Counts are summed and histograms added (per interval, per operation and over each steady state),
 * the thresholds judged once on the union, shard 1's Prometheus verdicts and every shard's verification carried, and
 * {@code summary.json}, {@code latency.hlog} and {@code report.html} written as a run writes them.
 */
public final class Merge {
    private final MergeConfig config;
    private final Console console;

    /**
     * A merge.
     *
     * @param config what to merge
     * @param out where the results go
     * @param terminal whether {@code out} is a terminal
     */
    public Merge(MergeConfig config, PrintStream out, boolean terminal) {
        this.config = config;
        this.console = new Console(out, terminal);
    }

    /**
     * Reads, checks and joins the shards, and writes the union.
     *
     * @param err where errors go
     * @return the exit code ({@link ExitCode}): that of a run, 2 if the directories are not one test's shards
     */
    public int run(PrintStream err) {
        List<Results.Read> shards;
        List<Threshold> thresholds;
        try {
            shards = shards();
            thresholds = config.thresholds().apply(shards.getFirst().run().stages().stream()
                                                           .map(s -> s.stage().name()).toList());
        } catch (ConfigException e) {
            err.println("loadtest merge: " + e.getMessage());
            return ExitCode.CONFIG_ERROR;
        }
        if (!config.promThresholds().isEmpty()) {
            console.note("loadtest merge: prom: thresholds (" + String.join(", ", config.promThresholds()) + ") are "
                                 + "judged by shard 1 during the run; its verdicts are carried, not judged again");
        }
        RunResult first = shards.getFirst().run();
        int count = first.shard().count();
        console.note("loadtest merge: " + count + (count == 1 ? " shard" : " shards") + " of --stage "
                             + first.stageName() + (first.startAt() == null ? "" : " started at " + first.startAt())
                             + ": " + shards.stream().map(r -> r.dir().toString()).collect(Collectors.joining(", ")));

        Instant started = shards.stream().map(r -> r.run().started()).min(Comparator.naturalOrder()).orElseThrow();
        Instant ended = shards.stream().map(r -> r.run().ended()).max(Comparator.naturalOrder()).orElseThrow();
        List<StageResult> stages = new ArrayList<>();
        Map<String, Stage> byName = new LinkedHashMap<>();
        for (int i = 0; i < first.stages().size(); i++) {
            int at = i;
            String name = first.stages().get(i).stage().name();
            StageResult s = Union.stage(shards.stream().map(r -> r.run().stages().get(at)).toList(),
                                        thresholds.stream().filter(t -> t.appliesTo(name)).toList());
            stages.add(s);
            byName.put(name, s.stage());
        }
        List<Interval> intervals = Union.intervals(shards.stream().map(Results.Read::intervals).toList(), byName,
                                                   started);
        Verification verification = Union.verification(shards.stream().map(r -> r.run().verification()).toList());
        boolean interrupted = shards.stream().anyMatch(Results.Read::interrupted);
        boolean passed = stages.stream().allMatch(StageResult::passed)
                && (verification == null || verification.passed())
                && (first.monitoring() == null || first.monitoring().passed());
        int code = interrupted ? ExitCode.INTERRUPTED : passed ? ExitCode.PASS : ExitCode.FAILED;
        Set<String> targets = new LinkedHashSet<>();
        shards.forEach(r -> targets.add(r.run().target()));
        List<String> args = new ArrayList<>(List.of("merge"));
        args.addAll(config.args());
        RunResult run = new RunResult(first.stageName(), String.join(", ", targets), first.seed(), List.copyOf(args),
                                      first.client(), first.gitCommit(), first.stressMode(), started, ended,
                                      first.highestIdAtStart(), List.copyOf(stages),
                                      intervals.stream().map(Interval::point).toList(),
                                      shards.stream().mapToInt(r -> r.run().lagWarnings()).sum(), verification, code,
                                      first.monitoring(), null, first.startAt());
        try {
            write(run, stages, intervals, shards);
        } catch (IOException e) {
            err.println("loadtest merge: cannot write " + config.out() + ": " + e.getMessage());
            return ExitCode.CONFIG_ERROR;
        }
        console.results(stages, verification, first.monitoring(), config.out().resolve("summary.json")
                                + ", latency.hlog, report.html", switch (code) {
                                    case ExitCode.PASS -> "PASS";
                                    case ExitCode.INTERRUPTED -> "INTERRUPTED (exit 130): a shard was interrupted";
                                    default -> "FAIL (exit 99)";
                                });
        return code;
    }

    /** Reads every directory and checks they are shards 1..N of one test, each once; shard 1 first. */
    private List<Results.Read> shards() {
        Path out = config.out().toAbsolutePath().normalize();
        List<Results.Read> reads = new ArrayList<>();
        for (Path dir : config.dirs()) {
            if (dir.toAbsolutePath().normalize().equals(out)) {
                throw new ConfigException("--out " + config.out() + " is one of the shards' directories; the merge "
                                                  + "would overwrite that shard's results");
            }
            Results.Read r = Results.read(dir);
            if (r.run().shard() == null) {
                throw new ConfigException(dir + " holds a merge's result, not a shard's");
            }
            reads.add(r);
        }
        Results.Read first = reads.getFirst();
        int count = first.run().shard().count();
        Map<Integer, Results.Read> byIndex = new LinkedHashMap<>();
        for (Results.Read r : reads) {
            RunResult run = r.run();
            if (run.shard().count() != count) {
                throw new ConfigException("the directories are shards of tests of different sizes: " + first.dir()
                                                  + " is shard " + first.run().shard() + ", " + r.dir() + " is shard "
                                                  + run.shard());
            }
            Results.Read twice = byIndex.put(run.shard().index(), r);
            if (twice != null) {
                throw new ConfigException("shard " + run.shard() + " appears twice: " + twice.dir() + " and "
                                                  + r.dir());
            }
            if (!run.stageName().equals(first.run().stageName())) {
                throw new ConfigException("the shards ran different stages: " + first.dir() + " --stage "
                                                  + first.run().stageName() + ", " + r.dir() + " --stage "
                                                  + run.stageName());
            }
            if (!Objects.equals(run.startAt(), first.run().startAt())) {
                throw new ConfigException("the shards did not start together: " + first.dir() + " --start-at "
                                                  + first.run().startAt() + ", " + r.dir() + " --start-at "
                                                  + run.startAt());
            }
            String difference = difference(first.run().stages(), run.stages());
            if (difference != null) {
                throw new ConfigException("the shards ran different stages: " + r.dir() + " against " + first.dir()
                                                  + ": " + difference);
            }
        }
        List<Integer> missing = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            if (!byIndex.containsKey(i)) {
                missing.add(i);
            }
        }
        if (!missing.isEmpty()) {
            throw new ConfigException("shard" + (missing.size() == 1 ? " " : "s ") + missing.stream()
                    .map(i -> i + "/" + count).collect(Collectors.joining(", ")) + (missing.size() == 1 ? " is" : " are")
                                              + " missing: the test has " + count + " shards, the directories given "
                                              + "hold " + byIndex.keySet().stream().sorted().map(i -> i + "/" + count)
                    .collect(Collectors.joining(", ")));
        }
        List<Results.Read> ordered = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            ordered.add(byIndex.get(i));
        }
        return ordered;
    }

    /** What differs between two shards' stages (other than their share of the users and rate), or null. */
    private static String difference(List<StageResult> a, List<StageResult> b) {
        List<String> namesA = a.stream().map(s -> s.stage().name()).toList();
        List<String> namesB = b.stream().map(s -> s.stage().name()).toList();
        if (!namesA.equals(namesB)) {
            return "stages " + namesA + " against " + namesB;
        }
        for (int i = 0; i < a.size(); i++) {
            Stage x = a.get(i).stage();
            Stage y = b.get(i).stage();
            if (x.open() != y.open() || x.rate() != y.rate() || !x.ramp().equals(y.ramp())
                    || !x.duration().equals(y.duration())
                    || x.readRatio() != y.readRatio() || !x.thinkMin().equals(y.thinkMin())
                    || !x.thinkMax().equals(y.thinkMax())) {
                return x.name() + " differs (model, rate, ramp, duration, read ratio or think time)";
            }
        }
        return null;
    }

    private void write(RunResult run, List<StageResult> stages, List<Interval> intervals, List<Results.Read> shards)
            throws IOException {
        Path out = config.out();
        Files.createDirectories(out);
        try (IntervalLog log = new IntervalLog(out.resolve("latency.hlog"), run.started())) {
            for (StageResult s : stages) {
                intervals.stream().filter(i -> i.stage().name().equals(s.stage().name())).forEach(log::write);
                log.writeSteady(s);
            }
        }
        ObjectNode summary = Report.summary(run, run.exitCode() == ExitCode.PASS ? "pass"
                : run.exitCode() == ExitCode.INTERRUPTED ? "interrupted" : "fail");
        ArrayNode from = summary.putArray("shards");
        for (Results.Read r : shards) {
            ObjectNode n = from.addObject();
            n.put("index", r.run().shard().index());
            n.put("count", r.run().shard().count());
            n.put("dir", r.dir().toString());
            n.put("host", r.summary().path("run").path("host").asText());
            n.put("target", r.run().target());
            n.put("seed", r.run().seed());
            n.put("started_at", r.run().started().toString());
            n.put("ended_at", r.run().ended().toString());
            n.put("verdict", r.summary().path("verdict").asText());
            n.put("exit_code", r.run().exitCode());
            n.put("verified", r.run().verification() != null);
        }
        Report.writeJson(summary, out.resolve("summary.json"));
        Report.html(run, summary, out.resolve("report.html"));
    }
}
