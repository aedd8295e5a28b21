/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.output;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.promdemo.loadtest.measure.Check;
import dev.promdemo.loadtest.measure.Interval;
import dev.promdemo.loadtest.measure.Monitoring;
import dev.promdemo.loadtest.measure.RunResult;
import dev.promdemo.loadtest.measure.StageResult;
import dev.promdemo.loadtest.measure.Verification;
import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.Outcome;
import dev.promdemo.loadtest.plan.Stage;
import org.HdrHistogram.Histogram;

/**
 * Writes {@code summary.json} and the self-contained {@code report.html}.
 */
public final class Report {
    /** The percentiles written for every histogram. */
    private static final double[] PERCENTILES = {50, 90, 95, 99, 99.9};
    /** The percentiles of the distribution plot. */
    private static final double[] SPECTRUM = {0, 10, 25, 50, 75, 90, 95, 98, 99, 99.5, 99.8, 99.9, 99.95, 99.99,
        99.995, 99.999};
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private Report() {
    }

    /**
     * Builds the summary document.
     *
     * @param run the run
     * @param verdict {@code pass}, {@code fail} or {@code interrupted}
     * @return the JSON tree
     */
    public static ObjectNode summary(RunResult run, String verdict) {
        ObjectNode root = JSON.createObjectNode();
        root.put("tool", "loadtest");
        root.put("verdict", verdict);
        root.put("exit_code", run.exitCode());
        if (run.shard() == null) {
            root.putNull("shard");
        } else {
            ObjectNode shard = root.putObject("shard");
            shard.put("index", run.shard().index());
            shard.put("count", run.shard().count());
        }
        root.put("startAt", run.startAt() == null ? null : run.startAt().toString());
        ObjectNode meta = root.putObject("run");
        meta.put("stage", run.stageName());
        meta.put("target", run.target());
        meta.put("seed", run.seed());
        meta.put("started_at", run.started().toString());
        meta.put("ended_at", run.ended().toString());
        meta.put("duration_s", round((run.ended().toEpochMilli() - run.started().toEpochMilli()) / 1000.0));
        ArrayNode args = meta.putArray("args");
        run.args().forEach(args::add);
        meta.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        meta.put("host", hostName());
        meta.put("available_processors", Runtime.getRuntime().availableProcessors());
        meta.put("highest_order_id_at_start", run.highestIdAtStart());
        meta.put("git_commit", run.gitCommit());
        meta.set("client", JSON.valueToTree(run.client()));
        meta.put("stress_mode", run.stressMode());
        meta.put("schedule_lag_warnings", run.lagWarnings());
        root.put("measurement", "Latency runs from the intended send time to the full response body received. "
                + "'corrected' is free of coordinated omission (open model: by construction; closed model: "
                + "HdrHistogram recordValueWithExpectedInterval with the user's normal cycle as the interval, an "
                + "open-population estimate). 'observed' is the service time of the requests actually sent, as naive "
                + "tools report it. Percentiles are over the steady state (ramp excluded); counts include the ramp. "
                + "'shed' counts 503 answers (the API turning requests away); they are errors too. "
                + "Times in milliseconds.");
        ArrayNode stages = root.putArray("stages");
        for (StageResult s : run.stages()) {
            stages.add(stage(s, run.monitoring()));
        }
        if (run.monitoring() != null) {
            Monitoring m = run.monitoring();
            ObjectNode mon = root.putObject("monitoring");
            mon.put("prometheus", m.prometheus());
            mon.put("passed", m.passed());
            ArrayNode runChecks = mon.putArray("run_checks");
            m.checks().stream().filter(c -> run.stages().stream().noneMatch(s -> s.stage().name().equals(c.stage())))
                    .forEach(c -> runChecks.add(check(c)));
            ArrayNode alerts = mon.putArray("alerts");
            for (Monitoring.AlertSpan a : m.alerts()) {
                ObjectNode n = alerts.addObject();
                n.put("alert", a.alert());
                n.put("severity", a.severity());
                n.put("firing_from", a.from().toString());
                n.put("firing_to", a.to() == null ? null : a.to().toString());
                n.put("expected", a.expected());
            }
            ArrayNode notes = mon.putArray("notes");
            m.notes().forEach(notes::add);
            ArrayNode serverP95 = mon.putArray("server_p95");
            m.serverP95().forEach(p -> serverP95.addArray().add(round(p[0])).add(round(p[1])));
        }
        if (run.verification() != null) {
            Verification v = run.verification();
            ObjectNode ver = root.putObject("verification");
            ver.put("created", v.created());
            ver.put("checked", v.checked());
            ver.put("missing", v.missing());
            ver.put("different", v.different());
            ver.put("unreadable", v.unreadable());
            ver.put("passed", v.passed());
            ArrayNode problems = ver.putArray("problems");
            v.problems().forEach(problems::add);
        }
        ArrayNode series = root.putArray("series");
        for (Interval.Point p : run.points()) {
            ObjectNode n = series.addObject();
            n.put("stage", p.stage());
            n.put("start_ms", p.startMillis());
            n.put("end_ms", p.endMillis());
            n.put("users", p.users());
            n.put("target_users", p.targetUsers());
            n.put("requests", p.requests());
            n.put("errors", p.errors());
            n.put("shed", p.shed());
            n.put("p50_ms", p.p50());
            n.put("p95_ms", p.p95());
            n.put("p99_ms", p.p99());
            n.put("sliver", p.sliver());
        }
        return root;
    }

    private static ObjectNode check(Check c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("kind", c.kind());
        n.put("check", c.name());
        n.put("expression", c.expression());
        n.put("actual", c.actual());
        n.put("passed", c.passed());
        return n;
    }

    private static ObjectNode stage(StageResult s, Monitoring m) {
        Stage st = s.stage();
        ObjectNode n = JSON.createObjectNode();
        n.put("name", st.name());
        n.put("model", st.open() ? "open" : "closed");
        if (st.open()) {
            n.put("rate_per_s", st.partRate());
            // A shard sends every N-th request of one schedule at this rate (see "shard").
            n.put("schedule_rate_per_s", st.rate());
            n.put("dropped_requests", s.dropped());
        } else {
            n.put("users_from", st.fromUsers());
            n.put("users", st.users());
            n.put("think_time_s", st.thinkMin().toMillis() / 1000.0 + "-" + st.thinkMax().toMillis() / 1000.0);
        }
        n.put("ramp_s", st.ramp().toMillis() / 1000.0);
        n.put("duration_s", st.duration().toMillis() / 1000.0);
        n.put("read_ratio", st.readRatio());
        n.put("stress", st.stress());
        if (st.fault() != null) {
            ObjectNode plan = n.putObject("fault_plan");
            plan.put("name", st.fault().name());
            plan.put("after_s", st.fault().after().toMillis() / 1000.0);
            plan.put("length_s", st.fault().length().toMillis() / 1000.0);
            plan.put("does", st.fault().does());
        }
        n.put("started_at", s.started().toString());
        n.put("ended_at", s.ended().toString());
        // The rates below use the length as written, so a merge that reads it back derives the same rates.
        double steady = round(s.steadySeconds());
        n.put("steady_state_s", steady);
        n.put("interrupted", s.interrupted());
        double expected = st.expectedRate((long) (s.baselineMillis() * 1e6));
        n.put("expected_rate_per_s", round(expected));
        n.put("actual_steady_rate_per_s", round(rate(s.all().steadyRequests(), steady)));
        n.put("completed_rate_per_s", round(rate(s.all().requests(),
                                                  (s.ended().toEpochMilli() - s.started().toEpochMilli()) / 1000.0)));
        n.put("correction_baseline_ms", round(s.baselineMillis()));
        ObjectNode ops = n.putObject("operations");
        for (Map.Entry<Operation, StageResult.OpStats> e : s.ops().entrySet()) {
            ops.set(e.getKey().label(), op(e.getValue(), steady));
        }
        ops.set("all", op(s.all(), steady));
        ObjectNode lag = n.putObject("schedule_lag_ms");
        percentiles(lag, s.lag());
        n.put("generator_saturated", s.lag().getTotalCount() > 0
                && s.lag().getValueAtPercentile(99) > Console.LAG_WARNING_MICROS);
        if (s.stress() != null) {
            ObjectNode stress = n.putObject("db_stress");
            stress.put("command", s.stress().command());
            stress.put("launched", s.stress().launched());
            if (s.stress().problem() != null) {
                stress.put("problem", s.stress().problem());
            }
            stress.put("started_at", s.stress().started().toString());
            stress.put("ended_at", s.stress().ended().toString());
        }
        if (s.fault() != null) {
            ObjectNode fault = n.putObject("fault");
            fault.put("name", st.fault().name());
            fault.put("command", s.fault().command());
            fault.put("launched", s.fault().launched());
            if (s.fault().problem() != null) {
                fault.put("problem", s.fault().problem());
            }
            fault.put("started_at", s.fault().started().toString());
            fault.put("ended_at", s.fault().ended().toString());
        }
        ArrayNode thresholds = n.putArray("thresholds");
        for (StageResult.Verdict v : s.verdicts()) {
            ObjectNode t = thresholds.addObject();
            t.put("threshold", v.threshold().expression());
            t.put("actual", Double.isNaN(v.actual()) ? "no samples" : v.threshold().format(v.actual()));
            t.put("passed", v.passed());
        }
        boolean passed = s.passed();
        if (m != null) {
            Double p95 = m.stageServerP95().get(st.name());
            if (p95 == null) {
                n.putNull("server_p95_ms");
            } else {
                n.put("server_p95_ms", round(p95));
            }
            ArrayNode checks = n.putArray("prometheus_checks");
            m.checks().stream().filter(c -> c.stage().equals(st.name())).forEach(c -> checks.add(check(c)));
            passed = passed && m.passed(st.name());
        }
        n.put("passed", passed);
        return n;
    }

    private static ObjectNode op(StageResult.OpStats s, double steadySeconds) {
        ObjectNode n = JSON.createObjectNode();
        n.put("requests", s.requests());
        n.put("errors", s.errors());
        n.put("error_rate", round(s.errorRate()));
        n.put("shed", s.shed());
        n.put("shed_rate", round(s.shedRate()));
        ObjectNode outcomes = n.putObject("by_outcome");
        for (Outcome o : Outcome.values()) {
            outcomes.put(o.label(), s.counts()[o.ordinal()]);
        }
        ObjectNode steady = n.putObject("steady_state");
        steady.put("requests", s.steadyRequests());
        steady.put("rate_per_s", round(rate(s.steadyRequests(), steadySeconds)));
        steady.put("samples", s.observed().getTotalCount());
        ObjectNode steadyOutcomes = steady.putObject("by_outcome");
        for (Outcome o : Outcome.values()) {
            steadyOutcomes.put(o.label(), s.steadyCounts()[o.ordinal()]);
        }
        ObjectNode latency = steady.putObject("latency_ms");
        percentiles(latency.putObject("observed"), s.observed());
        ObjectNode corrected = latency.putObject("corrected");
        percentiles(corrected, s.corrected());
        corrected.put("samples_including_corrections", s.corrected().getTotalCount());
        return n;
    }

    private static void percentiles(ObjectNode n, Histogram h) {
        if (h.getTotalCount() == 0) {
            n.putNull("min");
            return;
        }
        n.put("min", h.getMinValue() / 1000.0);
        for (double p : PERCENTILES) {
            n.put(label(p), h.getValueAtPercentile(p) / 1000.0);
        }
        n.put("max", h.getMaxValue() / 1000.0);
        n.put("mean", round(h.getMean() / 1000.0));
    }

    /**
     * The JSON key of a percentile.
     *
     * @param p the percentile
     * @return e.g. {@code p95} or {@code p99.9}
     */
    private static String label(double p) {
        return p == Math.rint(p) ? "p" + (long) p : "p" + p;
    }

    /**
     * Writes the report page: the template with the summary, time series and distributions inlined.
     *
     * @param run the run
     * @param summary the summary document
     * @param file where to write
     * @throws IOException if writing fails
     */
    public static void html(RunResult run, ObjectNode summary, Path file) throws IOException {
        ObjectNode data = JSON.createObjectNode();
        data.set("summary", summary);
        ArrayNode points = data.putArray("points");
        for (Interval.Point p : run.points()) {
            if (!p.drawn()) {
                continue;
            }
            ArrayNode a = points.addArray();
            a.add(p.stage()).add(round(p.t())).add(p.users()).add(p.targetUsers()).add(round(p.rps())).add(p.errors())
                    .add(p.requests()).add(p.p50()).add(p.p95()).add(p.p99()).add(p.observedP99()).add(p.lagP99())
                    .add(p.shed());
        }
        data.put("run_start_ms", run.started().toEpochMilli());
        ArrayNode server = data.putArray("server_p95");
        if (run.monitoring() != null) {
            run.monitoring().serverP95().forEach(p -> server.addArray().add(round(p[0])).add(round(p[1])));
        }
        ObjectNode spectra = data.putObject("spectra");
        for (StageResult s : run.stages()) {
            ObjectNode sp = spectra.putObject(s.stage().name());
            sp.set("observed", spectrum(s.all().observed()));
            sp.set("corrected", spectrum(s.all().corrected()));
        }
        String template;
        try (InputStream in = Report.class.getResourceAsStream("report-template.html")) {
            if (in == null) {
                throw new IOException("report-template.html is missing from the jar");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // Inline JSON cannot close the script element: escape every '<'.
        String json = JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(data)
                .replace("<", "\\u003c");
        Files.writeString(file, template.replace("/*REPORT_DATA*/null", json), StandardCharsets.UTF_8);
    }

    private static ArrayNode spectrum(Histogram h) {
        ArrayNode a = JSON.createArrayNode();
        if (h.getTotalCount() == 0) {
            return a;
        }
        for (double p : SPECTRUM) {
            // A percentile needs about 1/(1-p) samples to mean anything; stop where the data runs out.
            if (p > 0 && 1 / (1 - p / 100) > h.getTotalCount()) {
                break;
            }
            a.addArray().add(p).add(h.getValueAtPercentile(p) / 1000.0);
        }
        a.addArray().add(100).add(h.getMaxValue() / 1000.0);
        return a;
    }

    /**
     * Writes the summary document.
     *
     * @param summary the document
     * @param file where
     */
    public static void writeJson(ObjectNode summary, Path file) {
        try {
            JSON.writeValue(file.toFile(), summary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double rate(long count, double seconds) {
        return seconds <= 0 ? 0 : count / seconds;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
