/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.output;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.promdemo.loadtest.measure.Check;
import dev.promdemo.loadtest.measure.Interval;
import dev.promdemo.loadtest.measure.Monitoring;
import dev.promdemo.loadtest.measure.RunResult;
import dev.promdemo.loadtest.measure.StageResult;
import dev.promdemo.loadtest.measure.Verification;
import dev.promdemo.loadtest.plan.ConfigException;
import dev.promdemo.loadtest.plan.Fault;
import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.Outcome;
import dev.promdemo.loadtest.plan.Shard;
import dev.promdemo.loadtest.plan.Stage;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

/**
 * Reads back what a run wrote to its output directory ({@code summary.json} and {@code latency.hlog}), so that the
 * outputs of several shards can be joined: the counts and metadata from the summary, every histogram from the log
 * (HdrHistogram's own reader, so nothing is re-derived from rounded percentiles). A stage's threshold verdicts are
 * not read back: whoever joins shards judges the thresholds again, on the union.
 */
public final class Results {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String LAG = "lag";

    private Results() {
    }

    /**
     * One run's outputs, read back.
     *
     * @param dir the output directory
     * @param summary {@code summary.json} as written
     * @param run the run, as far as the outputs hold it (without threshold verdicts)
     * @param intervals every interval of the log, in order, with its histograms and the summary's series data
     */
    public record Read(Path dir, JsonNode summary, RunResult run, List<Interval> intervals) {
        /**
         * Whether the run was interrupted (exit 130).
         *
         * @return {@code true} if it was
         */
        public boolean interrupted() {
            return "interrupted".equals(summary.path("verdict").asText());
        }
    }

    /**
     * Reads a run's output directory.
     *
     * @param dir the directory {@code --out} named
     * @return what it holds
     * @throws ConfigException naming the directory and the problem, if it is not a complete run's output
     */
    public static Read read(Path dir) {
        Path summaryFile = dir.resolve("summary.json");
        Path logFile = dir.resolve("latency.hlog");
        if (!Files.isRegularFile(summaryFile) || !Files.isRegularFile(logFile)) {
            throw new ConfigException(dir + " has no " + (Files.isRegularFile(summaryFile) ? "latency.hlog"
                    : "summary.json") + ": not a load generator's output directory (a run that exited 2 or 3 "
                                              + "writes none)");
        }
        JsonNode summary;
        try {
            summary = JSON.readTree(summaryFile.toFile());
        } catch (IOException e) {
            throw new ConfigException(summaryFile + " is not readable JSON: " + e.getMessage());
        }
        if (!"loadtest".equals(summary.path("tool").asText()) || !summary.has("series")) {
            throw new ConfigException(summaryFile + " is not a load generator summary this version can join (no "
                                              + "\"series\"; written by an older loadtest?)");
        }
        Histograms logged;
        try {
            logged = histograms(logFile);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(logFile + " is not a readable HdrHistogram log: " + e);
        }
        try {
            return build(dir, summary, logged);
        } catch (RuntimeException e) {
            if (e instanceof ConfigException) {
                throw e;
            }
            throw new ConfigException(summaryFile + " is incomplete or malformed: " + e);
        }
    }

    /** The log's histograms: per stage, each tag's histograms in order, and the steady-state ones by tag. */
    private record Histograms(Map<String, Map<String, List<Histogram>>> intervals,
                              Map<String, Map<String, Histogram>> steady) {
    }

    private static Histograms histograms(Path file) throws IOException {
        Map<String, Map<String, List<Histogram>>> intervals = new HashMap<>();
        Map<String, Map<String, Histogram>> steady = new HashMap<>();
        try (HistogramLogReader reader = new HistogramLogReader(file.toFile())) {
            EncodableHistogram e;
            while ((e = reader.nextIntervalHistogram()) != null) {
                if (!(e instanceof Histogram h) || h.getTag() == null) {
                    throw new IOException("a histogram without a tag or of another kind: " + e.getClass());
                }
                String tag = h.getTag();
                // <stage>.lag, <stage>.<op>.<kind>, and the same with <stage>.steady for the steady state.
                String key;
                String stage;
                if (tag.endsWith("." + LAG)) {
                    key = LAG;
                    stage = tag.substring(0, tag.length() - LAG.length() - 1);
                } else {
                    int kind = tag.lastIndexOf('.');
                    int op = tag.lastIndexOf('.', kind - 1);
                    if (kind < 0 || op <= 0) {
                        throw new IOException("unknown tag '" + tag + "'");
                    }
                    key = tag.substring(op + 1);
                    stage = tag.substring(0, op);
                }
                Histogram copy = new Histogram(3);
                copy.add(h);
                String steadySuffix = IntervalLog.STEADY.substring(0, IntervalLog.STEADY.length() - 1);
                if (stage.endsWith(steadySuffix)) {
                    steady.computeIfAbsent(stage.substring(0, stage.length() - steadySuffix.length()),
                                           k -> new HashMap<>()).put(key, copy);
                } else {
                    intervals.computeIfAbsent(stage, k -> new HashMap<>()).computeIfAbsent(key, k -> new ArrayList<>())
                            .add(copy);
                }
            }
        }
        return new Histograms(intervals, steady);
    }

    private static Read build(Path dir, JsonNode summary, Histograms logged) {
        JsonNode meta = summary.path("run");
        Instant started = Instant.parse(meta.path("started_at").asText());
        Instant ended = Instant.parse(meta.path("ended_at").asText());
        JsonNode shard = summary.path("shard");
        Shard part = shard.isObject() ? new Shard(shard.path("index").asInt(), shard.path("count").asInt()) : null;
        Map<String, Stage> stages = new LinkedHashMap<>();
        List<StageResult> results = new ArrayList<>();
        for (JsonNode n : summary.path("stages")) {
            Stage stage = stage(n, part);
            stages.put(stage.name(), stage);
            Map<String, Histogram> steady = logged.steady().get(stage.name());
            if (steady == null) {
                throw new ConfigException(dir.resolve("latency.hlog") + " has no steady-state histograms of stage "
                                                  + stage.name() + ", which summary.json lists");
            }
            results.add(stageResult(stage, n, steady));
        }
        List<Interval> intervals = intervals(dir, summary, logged, stages, started);
        Map<String, Object> client = JSON.convertValue(meta.path("client"), new TypeReference<>() { });
        List<String> args = new ArrayList<>();
        meta.path("args").forEach(a -> args.add(a.asText()));
        RunResult run = new RunResult(meta.path("stage").asText(), meta.path("target").asText(),
                                      meta.path("seed").asLong(), List.copyOf(args), client, text(meta, "git_commit"),
                                      meta.path("stress_mode").asText(), started, ended,
                                      meta.path("highest_order_id_at_start").asLong(), List.copyOf(results),
                                      intervals.stream().map(Interval::point).toList(),
                                      meta.path("schedule_lag_warnings").asInt(), verification(summary),
                                      summary.path("exit_code").asInt(), monitoring(summary),
                                      part,
                                      summary.path("startAt").isTextual()
                                              ? Instant.parse(summary.path("startAt").asText()) : null);
        return new Read(dir, summary, run, List.copyOf(intervals));
    }

    private static Stage stage(JsonNode n, Shard part) {
        boolean open = "open".equals(n.path("model").asText());
        Duration thinkMin = Duration.ZERO;
        Duration thinkMax = Duration.ZERO;
        if (!open) {
            String[] think = n.path("think_time_s").asText().split("-");
            thinkMin = seconds(Double.parseDouble(think[0]));
            thinkMax = seconds(Double.parseDouble(think[1]));
        }
        Fault fault = null;
        JsonNode plan = n.path("fault_plan");
        if (plan.isObject()) {
            fault = new Fault(plan.path("name").asText(), seconds(plan.path("after_s").asDouble()),
                              seconds(plan.path("length_s").asDouble()), plan.path("does").asText());
        }
        return new Stage(n.path("name").asText(), open ? 0 : n.path("users_from").asInt(),
                         open ? 0 : n.path("users").asInt(), open ? n.path("schedule_rate_per_s").asDouble() : 0,
                         seconds(n.path("ramp_s").asDouble()), seconds(n.path("duration_s").asDouble()),
                         n.path("read_ratio").asDouble(), thinkMin, thinkMax, n.path("stress").asBoolean(), fault,
                         part == null ? Shard.WHOLE : part);
    }

    private static StageResult stageResult(Stage stage, JsonNode n, Map<String, Histogram> steady) {
        Map<Operation, StageResult.OpStats> ops = new EnumMap<>(Operation.class);
        for (Operation op : Operation.values()) {
            JsonNode o = n.path("operations").path(op.label());
            ops.put(op, new StageResult.OpStats(outcomes(o.path("by_outcome")),
                                                outcomes(o.path("steady_state").path("by_outcome")),
                                                histogram(steady, op.label() + ".observed"),
                                                histogram(steady, op.label() + ".corrected")));
        }
        return new StageResult(stage, Instant.parse(n.path("started_at").asText()),
                               Instant.parse(n.path("ended_at").asText()), n.path("steady_state_s").asDouble(),
                               n.path("interrupted").asBoolean(), ops, StageResult.all(ops), histogram(steady, LAG),
                               n.path("correction_baseline_ms").asDouble(), window(n.path("db_stress")), List.of(),
                               n.path("dropped_requests").asLong(), window(n.path("fault")));
    }

    private static Histogram histogram(Map<String, Histogram> byKey, String key) {
        Histogram h = byKey.get(key);
        if (h == null) {
            throw new ConfigException("latency.hlog lacks the histogram '" + key + "' of a stage");
        }
        return h;
    }

    private static long[] outcomes(JsonNode n) {
        if (!n.isObject()) {
            throw new ConfigException("a stage's counts by outcome are missing");
        }
        long[] counts = new long[Outcome.values().length];
        for (Outcome o : Outcome.values()) {
            counts[o.ordinal()] = n.path(o.label()).asLong();
        }
        return counts;
    }

    private static StageResult.StressWindow window(JsonNode n) {
        if (!n.isObject()) {
            return null;
        }
        return new StageResult.StressWindow(n.path("command").asText(), Instant.parse(n.path("started_at").asText()),
                                            Instant.parse(n.path("ended_at").asText()), n.path("launched").asBoolean(),
                                            text(n, "problem"));
    }

    /**
     * The log's intervals with the summary's series: the k-th series entry of a stage is the k-th interval of that
     * stage in the log (every interval logs every tag once).
     */
    private static List<Interval> intervals(Path dir, JsonNode summary, Histograms logged, Map<String, Stage> stages,
                                            Instant runStart) {
        Map<String, Integer> seen = new HashMap<>();
        Map<String, Instant> stageStart = new HashMap<>();
        for (JsonNode n : summary.path("stages")) {
            stageStart.put(n.path("name").asText(), Instant.parse(n.path("started_at").asText()));
        }
        List<Interval> intervals = new ArrayList<>();
        for (JsonNode p : summary.path("series")) {
            String name = p.path("stage").asText();
            Stage stage = stages.get(name);
            Map<String, List<Histogram>> tags = logged.intervals().get(name);
            int k = seen.merge(name, 1, Integer::sum) - 1;
            if (stage == null || tags == null || tags.get(LAG) == null || tags.get(LAG).size() <= k) {
                throw new ConfigException(dir + ": summary.json has more intervals of stage " + name
                                                  + " than latency.hlog; are they from the same run?");
            }
            Map<Operation, Histogram> corrected = new EnumMap<>(Operation.class);
            Map<Operation, Histogram> observed = new EnumMap<>(Operation.class);
            for (Operation op : Operation.values()) {
                corrected.put(op, tags.get(op.label() + ".corrected").get(k));
                observed.put(op, tags.get(op.label() + ".observed").get(k));
            }
            long start = p.path("start_ms").asLong();
            long end = p.path("end_ms").asLong();
            intervals.add(new Interval(stage, start, end, (end - runStart.toEpochMilli()) / 1000.0,
                                       (end - stageStart.get(name).toEpochMilli()) / 1000,
                                       p.path("users").asInt(), p.path("target_users").asInt(),
                                       p.path("requests").asLong(), p.path("errors").asLong(), p.path("shed").asLong(),
                                       corrected, observed, tags.get(LAG).get(k), p.path("sliver").asBoolean()));
        }
        logged.intervals().forEach((name, tags) -> {
            if (tags.get(LAG).size() != seen.getOrDefault(name, 0)) {
                throw new ConfigException(dir + ": latency.hlog has " + tags.get(LAG).size() + " intervals of stage "
                                                  + name + ", summary.json " + seen.getOrDefault(name, 0)
                                                  + "; are they from the same run?");
            }
        });
        return intervals;
    }

    private static Verification verification(JsonNode summary) {
        JsonNode v = summary.path("verification");
        if (!v.isObject()) {
            return null;
        }
        List<String> problems = new ArrayList<>();
        v.path("problems").forEach(p -> problems.add(p.asText()));
        return new Verification(v.path("created").asLong(), v.path("checked").asLong(), v.path("missing").asLong(),
                                v.path("different").asLong(), v.path("unreadable").asLong(), List.copyOf(problems));
    }

    private static Monitoring monitoring(JsonNode summary) {
        JsonNode m = summary.path("monitoring");
        if (!m.isObject()) {
            return null;
        }
        List<Check> checks = new ArrayList<>();
        Map<String, Double> stageP95 = new HashMap<>();
        for (JsonNode s : summary.path("stages")) {
            String name = s.path("name").asText();
            s.path("prometheus_checks").forEach(c -> checks.add(check(name, c)));
            if (s.path("server_p95_ms").isNumber()) {
                stageP95.put(name, s.path("server_p95_ms").asDouble());
            }
        }
        m.path("run_checks").forEach(c -> checks.add(check("run", c)));
        List<Monitoring.AlertSpan> alerts = new ArrayList<>();
        for (JsonNode a : m.path("alerts")) {
            alerts.add(new Monitoring.AlertSpan(a.path("alert").asText(), a.path("severity").asText(),
                                                Instant.parse(a.path("firing_from").asText()),
                                                a.path("firing_to").isTextual()
                                                        ? Instant.parse(a.path("firing_to").asText()) : null,
                                                a.path("expected").asBoolean()));
        }
        List<double[]> serverP95 = new ArrayList<>();
        m.path("server_p95").forEach(p -> serverP95.add(new double[] {p.get(0).asDouble(), p.get(1).asDouble()}));
        List<String> notes = new ArrayList<>();
        m.path("notes").forEach(n -> notes.add(n.asText()));
        return new Monitoring(m.path("prometheus").asText(), List.copyOf(checks), List.copyOf(alerts),
                              List.copyOf(serverP95), Map.copyOf(stageP95), List.copyOf(notes));
    }

    private static Check check(String stage, JsonNode c) {
        return new Check(stage, c.path("kind").asText(), c.path("check").asText(), c.path("expression").asText(),
                         c.path("actual").asText(), c.path("passed").asBoolean());
    }

    private static String text(JsonNode n, String field) {
        return n.path(field).isTextual() ? n.path(field).asText() : null;
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.round(s * 1000));
    }
}
