/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The built-in stages, their default thresholds and what Prometheus must see during each, in one place:
 * {@code --stage}, {@code --help} and the defaults all read this table, so adding a stage is one entry here (and a
 * row in the README and the runbook).
 */
public final class Stages {
    private static final Duration RAMP = Duration.ofSeconds(10);
    private static final Duration THINK_MIN = Duration.ofSeconds(1);
    private static final Duration THINK_MAX = Duration.ofSeconds(3);

    /** The validation checklist's items, each judged from Prometheus in every stage that does not cause it. */
    public static final String ERRORS = "errors";
    /** Host CPU below 95 %. */
    public static final String CPU = "cpu";
    /** Host memory below 90 %. */
    public static final String MEMORY = "memory";
    /** Every scrape target up. */
    public static final String TARGETS = "targets";
    /** The orders the API counted match the orders the run was told were placed. */
    public static final String ORDERS = "orders";
    /**
     * The API's orders placed over a stage, from Prometheus; compared with the orders the generator was told were
     * placed (201) in that stage.
     */
    public static final String ORDERS_PLACED = "sum(increase(orders_placed_total{job=\"order-api\"}[{window}]))";
    /** Where a stage's name goes in {@link #ORDERS_ACKNOWLEDGED} and {@link #LOAD_GENERATORS}. */
    public static final String STAGE = "{stage}";
    /**
     * The orders every load generator was told were placed (201) over a stage, summed over the generators
     * Prometheus scrapes: what a sharded test compares with {@link #ORDERS_PLACED}, since each shard knows only its
     * own. Each generator's series for a stage starts at 0 with the stage and counts only that stage, so its last
     * value, read once a scrape after the stage's end has happened, is that generator's exact count; increase()
     * would lose the part before the series' first scrape (12 % of a 12 s stage in a test with a real Prometheus).
     * {window} runs from the stage's start to when it is read.
     */
    public static final String ORDERS_ACKNOWLEDGED = "sum(last_over_time(loadtest_requests_total{job=\"loadgen\","
            + "stage=\"{stage}\",operation=\"write\",outcome=\"ok\"}[{window}]))";
    /** How many load generators Prometheus has a stage's counts from. */
    public static final String LOAD_GENERATORS =
            "count(count by (instance) (loadtest_requests_total{job=\"loadgen\",stage=\"{stage}\"}))";
    /** The API's own p95 latency over all routes, per interval: drawn beside the generator's. */
    public static final String SERVER_P95 =
            "histogram_quantile(0.95, sum by (le) (rate(http_server_requests_seconds_bucket{job=\"order-api\"}[1m])))";
    private static final String READ_P95 =
            "job_route_method:http_server_requests_seconds:p95_rate5m{method=\"GET\",route=\"/api/order/{id}\"}";

    /**
     * One built-in closed-model stage.
     *
     * @param name the stage name
     * @param users users after the 10 s ramp
     * @param steady the steady state's length
     * @param readRatio the share of reads
     * @param stress whether CPU stress runs on the database host
     * @param fault the fault it injects, or {@code null}
     * @param thresholds the default thresholds, without the stage prefix
     * @param serverRead the server-side read p95 it promises, seconds, or 0 for none
     * @param alerts the alerts it must make fire and resolve (the runbook's expectations)
     * @param causes the checklist items it breaks on purpose, so not judged in it
     */
    private record Entry(String name, int users, Duration steady, double readRatio, boolean stress, Fault fault,
                         List<String> thresholds, double serverRead, List<String> alerts, Set<String> causes) {
        Stage stage() {
            return new Stage(name, 0, users, 0, RAMP, steady, readRatio, THINK_MIN, THINK_MAX, stress, fault);
        }
    }

    private static Entry load(String name, int users, Duration steady, double readRatio, List<String> thresholds,
                              double serverRead) {
        return new Entry(name, users, steady, readRatio, false, null, thresholds, serverRead, List.of(), Set.of());
    }

    /** A fault stage: 20 users, half reads, the fault a minute in, and time after it for the service to recover. */
    private static Entry fault(String name, Duration length, Duration after, String does, List<String> alerts,
                               Set<String> causes) {
        Duration start = Duration.ofSeconds(60);
        Duration steady = start.plus(length).plus(after).minus(RAMP);
        return new Entry(name, 20, steady, 0.5, false, new Fault(name, start, length, does), List.of(), 0, alerts,
                         causes);
    }

    private static final Map<String, Entry> STAGES = index(
            load("normal", 10, Duration.ofMinutes(5), 0.5, List.of("all:errors<5%", "all:p95<100ms"), 0.1),
            load("read-heavy", 50, Duration.ofMinutes(5), 0.8, List.of("all:errors<5%", "all:p95<300ms"), 0.3),
            load("write-heavy", 30, Duration.ofMinutes(5), 0.2, List.of("all:errors<5%"), 0),
            new Entry("db-stress", 40, Duration.ofMinutes(10), 0.5, true, null, List.of("all:errors<5%"), 0,
                      List.of("DbHostCpuHigh"), Set.of(CPU)));
    /** The fault stages: alone, or in the demo flow after db-stress with --faults. */
    private static final Map<String, Entry> FAULTS = index(
            fault("db-outage", Duration.ofMinutes(2), Duration.ofSeconds(90),
                  "the database stopped for {length}, then started",
                  List.of("OrderApiDatabaseUnavailable", "MysqlDown"), Set.of(ERRORS)),
            fault("db-slow", Duration.ofMinutes(2), Duration.ofSeconds(90),
                  "every database answer to the API delayed for {length}",
                  List.of("OrderApiDatabaseSlow"), Set.of(ERRORS)),
            fault("api-crash", Duration.ofSeconds(5), Duration.ofSeconds(90),
                  "the API killed (SIGKILL); its supervisor starts it again after {length}",
                  List.of("OrderApiRestarted"), Set.of(ERRORS, TARGETS, ORDERS)));
    /** The demo flow: a warm-up, every built-in stage in order, then a ramp down to zero users. */
    private static final Entry STABILISE = load("stabilise", 10, Duration.ofMinutes(2), 0.5, List.of("all:errors<5%"),
                                                0);
    private static final Stage RAMP_DOWN = new Stage("ramp-down", 40, 0, 0, Duration.ofMinutes(1), Duration.ZERO, 0.5,
                                                     THINK_MIN, THINK_MAX, false);
    private static final List<String> RAMP_DOWN_THRESHOLDS = List.of("all:errors<5%");

    /** The names {@code --stage} accepts. */
    public static final List<String> NAMES = names();

    private Stages() {
    }

    private static Map<String, Entry> index(Entry... entries) {
        Map<String, Entry> map = new LinkedHashMap<>();
        for (Entry e : entries) {
            map.put(e.name(), e);
        }
        return map;
    }

    private static List<String> names() {
        List<String> names = new ArrayList<>(STAGES.keySet());
        names.addAll(FAULTS.keySet());
        names.add("demo");
        return List.copyOf(names);
    }

    /**
     * The stages behind a {@code --stage} name, before any overrides; {@code demo} without the fault stages.
     *
     * @param name one of {@link #NAMES}
     * @return the stages to run in order
     * @throws ConfigException if the name is unknown
     */
    public static List<Stage> named(String name) {
        return named(name, false);
    }

    /**
     * The stages behind a {@code --stage} name, before any overrides.
     *
     * @param name one of {@link #NAMES}
     * @param faults with {@code demo}: the fault stages after db-stress
     * @return the stages to run in order
     * @throws ConfigException if the name is unknown
     */
    public static List<Stage> named(String name, boolean faults) {
        if (name.equals("demo")) {
            List<Stage> flow = new ArrayList<>();
            flow.add(STABILISE.stage());
            STAGES.values().forEach(e -> flow.add(e.stage()));
            if (faults) {
                FAULTS.values().forEach(e -> flow.add(e.stage()));
            }
            flow.add(RAMP_DOWN);
            return List.copyOf(flow);
        }
        Entry e = entry(name);
        if (e == null) {
            throw new ConfigException("unknown stage '" + name + "'; expected one of " + NAMES);
        }
        return List.of(e.stage());
    }

    private static Entry entry(String name) {
        return name.equals(STABILISE.name()) ? STABILISE : STAGES.containsKey(name) ? STAGES.get(name)
                : FAULTS.get(name);
    }

    /**
     * The default thresholds of a stage, each bound to the stage by name.
     *
     * @param stageName the stage's name
     * @return its thresholds, none for a stage that has none
     */
    public static List<Threshold> defaultThresholds(String stageName) {
        Entry e = entry(stageName);
        List<String> thresholds = stageName.equals(RAMP_DOWN.name()) ? RAMP_DOWN_THRESHOLDS
                : e == null ? List.of() : e.thresholds();
        return thresholds.stream().map(t -> Threshold.parse(stageName + "/" + t, List.of(stageName))).toList();
    }

    /**
     * What Prometheus must show during a stage: the validation checklist (error ratio under 5 %, host CPU under
     * 95 % and memory under 90 %, every target up), less what the stage causes on purpose, and the server-side
     * latency the stage promises.
     *
     * @param stageName the stage's name
     * @return the thresholds, bound to the stage
     */
    public static List<PromThreshold> defaultPromThresholds(String stageName) {
        Entry e = entry(stageName);
        Set<String> causes = e == null ? Set.of() : e.causes();
        List<PromThreshold> list = new ArrayList<>();
        if (!causes.contains(ERRORS)) {
            list.add(PromThreshold.of(stageName, "API error ratio",
                                      "job:http_server_requests_errors_per_requests:ratio_rate1m", "<", 0.05));
        }
        if (!causes.contains(CPU)) {
            list.add(PromThreshold.of(stageName, "host CPU", "instance:node_cpu_utilisation:rate1m", "<", 0.95));
        }
        if (!causes.contains(MEMORY)) {
            list.add(PromThreshold.of(stageName, "host memory", "instance:node_memory_utilisation:ratio", "<", 0.9));
        }
        if (!causes.contains(TARGETS)) {
            list.add(PromThreshold.of(stageName, "every target up", "up", ">", 0.5));
        }
        if (e != null && e.serverRead() > 0) {
            list.add(PromThreshold.of(stageName, "API read p95", READ_P95, "<", e.serverRead()));
        }
        return list;
    }

    /**
     * Whether a stage's Prometheus checks include the orders count ({@link #ORDERS_PLACED} against the orders
     * acknowledged): not where the stage restarts the API, whose counter loses what it had not yet been scraped for.
     *
     * @param stageName the stage's name
     * @return {@code true} if the orders are counted
     */
    public static boolean checksOrders(String stageName) {
        Entry e = entry(stageName);
        return e == null || !e.causes().contains(ORDERS);
    }

    /**
     * The alerts the runbook expects a stage to make fire, and resolve after it.
     *
     * @param stageName the stage's name
     * @return the expectations, marked built in
     */
    public static List<AlertExpectation> defaultAlerts(String stageName) {
        Entry e = entry(stageName);
        return e == null ? List.of() : e.alerts().stream()
                .map(a -> new AlertExpectation(stageName, a, AlertExpectation.RESOLVE, true)).toList();
    }

    /**
     * The stage lines of {@code --help}, from the same table.
     *
     * @return one line per stage
     */
    public static String help() {
        StringBuilder text = new StringBuilder();
        for (Entry e : STAGES.values()) {
            line(text, e);
        }
        text.append(String.format(Locale.ROOT, "  %-13s the whole flow in order: %s (%d users, %dm), %s,%n", "demo",
                                  STABILISE.name(), STABILISE.users(), STABILISE.steady().toMinutes(),
                                  STAGES.keySet().stream().collect(Collectors.joining(", "))));
        text.append(String.format(Locale.ROOT, "  %-13s with --faults then %s, then%n", "",
                                  String.join(", ", FAULTS.keySet())));
        text.append(String.format(Locale.ROOT, "  %-13s %s (%d -> 0 users over %dm)%n", "", RAMP_DOWN.name(),
                                  RAMP_DOWN.fromUsers(), RAMP_DOWN.ramp().toMinutes()));
        text.append("  fault stages (20 users, half reads; the fault starts 60s in; alone or in demo --faults):\n");
        for (Entry e : FAULTS.values()) {
            Fault f = e.fault();
            text.append(String.format(Locale.ROOT, "  %-13s %s; steady %ds; expects %s%n", e.name(),
                                      describe(f), e.steady().toSeconds(), String.join(", ", e.alerts())));
        }
        return text.toString();
    }

    private static void line(StringBuilder text, Entry e) {
        String load = String.format(Locale.ROOT, "%d users, %.0f%% reads, steady %dm%s", e.users(),
                                    e.readRatio() * 100, e.steady().toMinutes(), e.stress() ? ", DB CPU stress" : "");
        String thresholds = e.thresholds().isEmpty() ? "" : "thresholds " + String.join(", ", e.thresholds());
        text.append(String.format(Locale.ROOT, "  %-13s %-46s %s%n", e.name(), load, thresholds));
    }

    /**
     * What a fault does, its length filled in.
     *
     * @param fault the fault
     * @return e.g. "the database stopped for 120s, then started"
     */
    public static String describe(Fault fault) {
        return fault.does().replace("{length}", fault.length().toSeconds() + "s");
    }
}
