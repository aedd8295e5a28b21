/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.verdict;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import dev.promdemo.loadtest.measure.Check;
import dev.promdemo.loadtest.measure.Monitoring;
import dev.promdemo.loadtest.plan.AlertExpectation;
import dev.promdemo.loadtest.plan.ConfigException;
import dev.promdemo.loadtest.plan.PromThreshold;
import dev.promdemo.loadtest.plan.Stages;

/**
 * Judges each stage from what Prometheus saw, while the run goes on: a finished stage's thresholds are read once
 * Prometheus has scraped and evaluated past its end (two evaluation intervals), and its alerts are followed until
 * they have resolved or their bound has passed, while the next stages run. {@link #finish} waits for what is still
 * open, bounded by the last bound, then reads the alert timeline.
 */
public final class Judge {
    /** How often an open alert expectation is looked at again. */
    private static final Duration POLL = Duration.ofSeconds(5);
    /** Lookback of 1-minute rates: a stage's points are judged from this far into it. */
    private static final Duration LEAD = Duration.ofSeconds(60);
    /**
     * Between a fault and an alert's first firing, beyond the rule's {@code for:}: two 15 s scrape intervals (the
     * fault shows in the next scrape, the rule sees it at its next evaluation). An alert whose expression reads a
     * range ({@code rate(...[1m])}, directly or through a recording rule) also waits for that range to fill with
     * the fault, so its bound adds the range: a sudden change shows fully in a 1-minute rate only a minute later.
     */
    static final Duration FIRE_SLACK = Duration.ofSeconds(30);

    private final PrometheusApi api;
    private final PrometheusApi.Rules rules;
    private final List<PromThreshold> thresholds;
    private final List<AlertExpectation> expectations;
    private final Consumer<String> progress;
    private final int shards;
    private final List<Check> checks = new CopyOnWriteArrayList<>();
    private final List<String> notes = new CopyOnWriteArrayList<>();
    private final Map<String, Double> stageP95 = new ConcurrentHashMap<>();
    private final Map<String, Integer> order = new ConcurrentHashMap<>();
    private final List<Thread> open = new CopyOnWriteArrayList<>();
    private volatile boolean stopped;

    private Judge(PrometheusApi api, PrometheusApi.Rules rules, List<PromThreshold> thresholds,
                  List<AlertExpectation> expectations, int shards, Consumer<String> progress) {
        this.api = api;
        this.shards = shards;
        this.rules = rules;
        this.thresholds = thresholds;
        this.expectations = expectations;
        this.progress = progress;
    }

    /**
     * Connects to Prometheus and checks that every alert and recording rule the run names exists there.
     *
     * @param prometheus Prometheus's base URL
     * @param thresholds the Prometheus thresholds of the run
     * @param expectations the alert expectations of the run
     * @param shards how many load generators run the test ({@code --shard I/N}'s N): with more than one, the orders
     *               acknowledged are every generator's, summed by Prometheus
     * @param progress where notes go while the run goes on
     * @return the judge
     * @throws IOException if Prometheus does not answer
     * @throws ConfigException if an alert or recording rule is unknown to it
     */
    public static Judge connect(URI prometheus, List<PromThreshold> thresholds, List<AlertExpectation> expectations,
                                int shards, Consumer<String> progress) throws IOException {
        PrometheusApi api = new PrometheusApi(prometheus);
        PrometheusApi.Rules rules = api.rules();
        List<String> unknown = new ArrayList<>();
        for (AlertExpectation e : expectations) {
            if (!rules.alerts().containsKey(e.alert())) {
                unknown.add("alert '" + e.alert() + "' (expected in " + e.stage() + ")");
            }
        }
        for (PromThreshold t : thresholds) {
            for (String rule : t.recordingRules()) {
                if (!rules.records().contains(rule)) {
                    unknown.add("recording rule '" + rule + "' (in threshold " + t.expression() + ")");
                }
            }
        }
        if (!unknown.isEmpty()) {
            throw new ConfigException("Prometheus at " + prometheus + " has no " + String.join(", no ", unknown)
                                              + "; its rules API lists " + rules.alerts().size() + " alerts and "
                                              + rules.records().size() + " recording rules");
        }
        return new Judge(api, rules, thresholds, expectations, shards, progress);
    }

    /**
     * Rules whose last evaluation failed, as Prometheus reports them.
     *
     * @return one line each
     */
    public List<String> unhealthyRules() {
        return rules.unhealthy();
    }

    /**
     * A finished stage and what it did, for the judge.
     *
     * @param name the stage's name
     * @param index its place in the run
     * @param start when it started
     * @param end when it ended
     * @param faultStart when its fault (or CPU stress) was in effect, or {@code null} without one
     * @param faultEnd when that was undone
     * @param faultLaunched whether the fault or stress started at all
     * @param planned how long the fault was planned to last
     * @param ackedOrders orders the API acknowledged (201) to the generator in the stage
     * @param interrupted whether it ended early
     */
    public record Window(String name, int index, Instant start, Instant end, Instant faultStart, Instant faultEnd,
                         boolean faultLaunched, Duration planned, long ackedOrders, boolean interrupted) {
    }

    /**
     * Starts judging a finished stage in the background.
     *
     * @param w the stage
     */
    public void stageEnded(Window w) {
        order.put(w.name(), w.index());
        Thread t = Thread.ofVirtual().name("loadtest-judge-" + w.name()).start(() -> judge(w));
        open.add(t);
    }

    private Duration settle() {
        return rules.interval().multipliedBy(2);
    }

    private void judge(Window w) {
        if (!sleepUntil(w.end().plus(settle()))) {
            return;
        }
        // Rounded, not truncated: a stage of 11.96 s (the open model's last request is due just before its end) is a
        // 12 s window, not 11 s, which would leave a twelfth of its orders out.
        long seconds = Math.max(1, Math.round(Duration.between(w.start(), w.end()).toMillis() / 1000.0));
        for (PromThreshold t : thresholds) {
            if (t.appliesTo(w.name())) {
                checks.add(threshold(w, t, seconds));
            }
        }
        if (Stages.checksOrders(w.name())) {
            checks.add(orders(w, seconds));
        }
        try {
            String p95 = "histogram_quantile(0.95, sum by (le) (increase(http_server_requests_seconds_bucket"
                    + "{job=\"order-api\"}[" + seconds + "s])))";
            List<PrometheusApi.Series> s = api.instant(p95, w.end());
            if (!s.isEmpty() && !Double.isNaN(s.getFirst().samples().getFirst().value())) {
                stageP95.put(w.name(), s.getFirst().samples().getFirst().value() * 1000);
            }
        } catch (IOException e) {
            notes.add(w.name() + ": the API's p95 over the stage could not be read: " + e.getMessage());
        }
        for (AlertExpectation e : expectations) {
            if (e.stage().equals(w.name())) {
                Check c = alert(w, e);
                if (c != null) {
                    checks.add(c);
                }
            }
        }
    }

    private Check threshold(Window w, PromThreshold t, long seconds) {
        String name = t.name().equals(t.query()) ? t.expression() : t.name() + " " + t.bound();
        try {
            List<PrometheusApi.Series> series;
            if (t.wholeStage()) {
                series = api.instant(t.query(seconds), w.end());
            } else {
                Instant from = w.start().plus(LEAD);
                if (from.isAfter(w.end())) {
                    from = w.end();
                }
                series = api.range(t.query(seconds), from, w.end(), rules.interval());
            }
            Evaluation.Verdict v = Evaluation.threshold(t, series);
            return new Check(w.name(), "prometheus", name, t.expression(), v.actual(), v.passed());
        } catch (IOException e) {
            return new Check(w.name(), "prometheus", name, t.expression(), "Prometheus did not answer '"
                    + t.query(seconds) + "': " + e.getMessage(), false);
        }
    }

    private Check orders(Window w, long seconds) {
        String query = Stages.ORDERS_PLACED.replace(PromThreshold.WINDOW, seconds + "s");
        String name = "orders the API placed = orders acknowledged";
        try {
            List<PrometheusApi.Series> s = api.instant(query, w.end());
            if (s.isEmpty()) {
                return new Check(w.name(), "orders", name, query, "no data: '" + query + "' returned nothing (is "
                        + "orders_placed_total missing or renamed?)", false);
            }
            double placed = s.getFirst().samples().getFirst().value();
            double acked = w.ackedOrders();
            String whose = String.format(Locale.ROOT, "%d acknowledged to the generator", w.ackedOrders());
            if (shards > 1) {
                // Every shard's acknowledged orders, not only this one's: the API placed them all.
                // Read once every generator's last count of the stage has been scraped (judge() waited for it).
                Instant read = w.end().plus(settle());
                String ackQuery = Stages.ORDERS_ACKNOWLEDGED.replace(Stages.STAGE, w.name())
                        .replace(PromThreshold.WINDOW, Duration.between(w.start(), read).toSeconds() + "s");
                query = query + " vs " + ackQuery;
                List<PrometheusApi.Series> a = api.instant(ackQuery, read);
                List<PrometheusApi.Series> g = api.instant(Stages.LOAD_GENERATORS.replace(Stages.STAGE, w.name()),
                                                           w.end());
                long generators = g.isEmpty() ? 0 : Math.round(g.getFirst().samples().getFirst().value());
                if (a.isEmpty() || generators < shards) {
                    return new Check(w.name(), "orders", name, query, String.format(Locale.ROOT,
                            "Prometheus has the counts of %d of the test's %d load generators for this stage (is "
                                    + "every shard's metrics address scraped as job loadgen?); this one acknowledged "
                                    + "%d", generators, shards, w.ackedOrders()), false);
                }
                acked = a.getFirst().samples().getFirst().value();
                whose = String.format(Locale.ROOT, "%.0f acknowledged to the %d load generators per Prometheus (this "
                        + "one's own: %d)", acked, generators, w.ackedOrders());
            }
            // The API's increase() extrapolates to the window's edges from samples 15 s apart: allow 5 % and a few.
            double allowed = 5 + 0.05 * acked;
            boolean ok = Math.abs(placed - acked) <= allowed;
            return new Check(w.name(), "orders", name, query, String.format(Locale.ROOT,
                    "%.0f placed per Prometheus, %s (allowed difference %.0f)", placed, whose, allowed), ok);
        } catch (IOException e) {
            return new Check(w.name(), "orders", name, query, "Prometheus did not answer: " + e.getMessage(), false);
        }
    }

    /** How long after its fault an alert may take to fire: its {@code for:}, two scrapes and its range. */
    static Duration fireWithin(PrometheusApi.Alert rule) {
        return rule.hold().plus(FIRE_SLACK).plus(rule.window());
    }

    private static String bound(PrometheusApi.Alert rule) {
        return "bound " + fireWithin(rule).toSeconds() + "s = for: " + rule.hold().toSeconds() + "s + 2 scrapes "
                + FIRE_SLACK.toSeconds() + "s" + (rule.window().isZero() ? ""
                : " + its " + rule.window().toSeconds() + "s range");
    }

    private Check alert(Window w, AlertExpectation e) {
        PrometheusApi.Alert rule = rules.alerts().get(e.alert());
        Instant start = w.faultStart() != null ? w.faultStart() : w.start();
        Instant end = w.faultEnd() != null ? w.faultEnd() : w.end();
        Duration fireWithin = fireWithin(rule);
        if (w.faultStart() != null && !w.faultLaunched()) {
            return new Check(w.name(), "alert", e.alert(), e.expression(), "not judged: the fault did not start",
                             false);
        }
        Duration length = Duration.between(start, end);
        if (e.builtIn() && !rule.hold().isZero() && length.compareTo(rule.hold().plus(LEAD)) < 0) {
            notes.add(w.name() + ": " + e.alert() + " not expected: the stage's fault lasted " + length.toSeconds()
                              + "s, shorter than its for: " + rule.hold().toSeconds() + "s and a minute");
            return null;
        }
        if (w.interrupted()) {
            return new Check(w.name(), "alert", e.alert(), e.expression(), "not judged: the stage was interrupted",
                             false);
        }
        // A crash is shorter than any bound: the alert reports the restart, so its clock starts at the undo.
        Instant clock = length.compareTo(fireWithin) < 0 && w.planned() != null
                && w.planned().compareTo(fireWithin) < 0 ? end : start;
        String query = "ALERTS{alertname=\"" + e.alert() + "\",alertstate=\"firing\"}";
        // Data lags by settle(): poll until the data covers both bounds.
        Instant deadline = end.plus(e.resolveWithin()).plus(settle()).plus(POLL);
        Instant fireDeadline = clock.plus(fireWithin).plus(settle()).plus(POLL);
        Instant lastPoll = fireDeadline.isAfter(deadline) ? fireDeadline : deadline;
        String opened = null;
        while (true) {
            Instant now = Instant.now();
            Instant dataEnd = now.minus(settle());
            try {
                List<PrometheusApi.Series> s = api.range(query, start.minus(Duration.ofMinutes(5)), now, POLL);
                Evaluation.AlertVerdict v = Evaluation.alert(Evaluation.spans(s, POLL, now), start, end, clock,
                                                             fireWithin, e.resolveWithin(), dataEnd);
                if (v.state() != Evaluation.State.PENDING || now.isAfter(lastPoll) || stopped) {
                    boolean passed = v.state() == Evaluation.State.PASSED;
                    String actual = v.state() != Evaluation.State.PENDING ? v.actual()
                            : (stopped ? "not judged, the run was stopped: " : "undecided when its bound passed: ")
                                    + v.actual();
                    return new Check(w.name(), "alert", e.alert() + " fires and resolves", e.expression(),
                                     actual + " (" + bound(rule) + ")", passed && !stopped);
                }
                if (opened == null || !opened.equals(v.actual())) {
                    opened = v.actual();
                }
            } catch (IOException ex) {
                if (now.isAfter(lastPoll) || stopped) {
                    return new Check(w.name(), "alert", e.alert() + " fires and resolves", e.expression(),
                                     "Prometheus did not answer: " + ex.getMessage(), false);
                }
            }
            if (!sleepUntil(Instant.now().plus(POLL))) {
                return new Check(w.name(), "alert", e.alert() + " fires and resolves", e.expression(),
                                 "not judged: the run was interrupted", false);
            }
        }
    }

    private boolean sleepUntil(Instant when) {
        while (!stopped) {
            long millis = Duration.between(Instant.now(), when).toMillis();
            if (millis <= 0) {
                return true;
            }
            try {
                Thread.sleep(Math.min(millis, 500));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /**
     * Waits for every open judgement (each ends by its own bound; an interrupted run does not wait), then reads the
     * alert timeline and the API's own p95 over the run.
     *
     * @param runStart when the run started
     * @param runEnd when its last stage ended
     * @param interrupted whether the run was interrupted
     * @return what Prometheus saw, and the verdicts
     */
    public Monitoring finish(Instant runStart, Instant runEnd, boolean interrupted) {
        if (interrupted) {
            stopped = true;
        } else if (open.stream().anyMatch(Thread::isAlive)) {
            progress.accept("prometheus: waiting for the last stages' data and alerts to resolve (each bounded; "
                                    + "the longest: 2 minutes after its fault ended)");
        }
        for (Thread t : open) {
            try {
                t.join(Duration.ofMinutes(interrupted ? 0 : 15).plusSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = true;
            }
        }
        stopped = true;
        Instant end = Instant.now();
        List<Monitoring.AlertSpan> spans = new ArrayList<>();
        Set<String> expected = new HashSet<>();
        expectations.forEach(e -> expected.add(e.alert()));
        try {
            Map<String, List<PrometheusApi.Series>> byAlert = new LinkedHashMap<>();
            for (PrometheusApi.Series s : api.range("ALERTS{alertstate=\"firing\"}", runStart, end, POLL)) {
                byAlert.computeIfAbsent(s.labels().getOrDefault("alertname", "?"), k -> new ArrayList<>()).add(s);
            }
            byAlert.forEach((name, series) -> {
                String severity = series.getFirst().labels().getOrDefault("severity", "");
                for (Evaluation.Span sp : Evaluation.spans(series, POLL, end)) {
                    spans.add(new Monitoring.AlertSpan(name, severity, sp.from(), sp.to(), expected.contains(name)));
                }
            });
        } catch (IOException e) {
            notes.add("the alert timeline could not be read: " + e.getMessage());
        }
        spans.sort(Comparator.comparing(Monitoring.AlertSpan::from));
        List<double[]> p95 = new ArrayList<>();
        try {
            Duration step = Duration.ofSeconds(Math.max(5, Duration.between(runStart, end).toSeconds() / 1000));
            for (PrometheusApi.Series s : api.range(Stages.SERVER_P95, runStart, end, step)) {
                for (PrometheusApi.Sample p : s.samples()) {
                    if (!Double.isNaN(p.value())) {
                        p95.add(new double[] {(p.at().toEpochMilli() - runStart.toEpochMilli()) / 1000.0,
                            p.value() * 1000});
                    }
                }
            }
        } catch (IOException e) {
            notes.add("the API's p95 over time could not be read: " + e.getMessage());
        }
        List<Check> sorted = new ArrayList<>(checks);
        sorted.sort(Comparator.comparing(c -> order.getOrDefault(c.stage(), Integer.MAX_VALUE)));
        if (!interrupted) {
            try {
                List<String> unhealthy = api.rules().unhealthy();
                sorted.add(new Check("run", "rules", "every rule evaluates without error", "/api/v1/rules",
                                     unhealthy.isEmpty() ? "all healthy" : String.join("; ", unhealthy),
                                     unhealthy.isEmpty()));
            } catch (IOException e) {
                sorted.add(new Check("run", "rules", "every rule evaluates without error", "/api/v1/rules",
                                     "Prometheus did not answer: " + e.getMessage(), false));
            }
        }
        return new Monitoring(api.base().toString(), List.copyOf(sorted), List.copyOf(spans), List.copyOf(p95),
                              Map.copyOf(stageP95), List.copyOf(notes));
    }

    /**
     * Stops judging at once: what Ctrl-C does.
     */
    public void stop() {
        stopped = true;
    }
}
