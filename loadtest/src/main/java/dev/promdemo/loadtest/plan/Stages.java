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
import java.util.stream.Collectors;

/**
 * The built-in stages and their default thresholds, in one place: {@code --stage}, {@code --help} and the defaults
 * all read this table, so adding a stage is one entry here (and a row in the README).
 */
public final class Stages {
    private static final Duration RAMP = Duration.ofSeconds(10);
    private static final Duration THINK_MIN = Duration.ofSeconds(1);
    private static final Duration THINK_MAX = Duration.ofSeconds(3);

    /**
     * One built-in closed-model stage: the demo's original spec.
     *
     * @param name the stage name
     * @param users users after the 10 s ramp
     * @param steady the steady state's length
     * @param readRatio the share of reads
     * @param stress whether CPU stress runs on the database host
     * @param thresholds the default thresholds, without the stage prefix
     */
    private record Entry(String name, int users, Duration steady, double readRatio, boolean stress,
                         List<String> thresholds) {
        Stage stage() {
            return new Stage(name, 0, users, 0, RAMP, steady, readRatio, THINK_MIN, THINK_MAX, stress);
        }
    }

    private static final Map<String, Entry> STAGES = index(
            new Entry("normal", 10, Duration.ofMinutes(5), 0.5, false, List.of("all:errors<5%", "all:p95<100ms")),
            new Entry("read-heavy", 50, Duration.ofMinutes(5), 0.8, false, List.of("all:errors<5%", "all:p95<300ms")),
            new Entry("write-heavy", 30, Duration.ofMinutes(5), 0.2, false, List.of("all:errors<5%")),
            new Entry("db-stress", 40, Duration.ofMinutes(10), 0.5, true, List.of("all:errors<5%")));
    /** The demo flow: a warm-up, every built-in stage in order, then a ramp down to zero users. */
    private static final Entry STABILISE = new Entry("stabilise", 10, Duration.ofMinutes(2), 0.5, false,
                                                     List.of("all:errors<5%"));
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
        names.add("demo");
        return List.copyOf(names);
    }

    /**
     * The stages behind a {@code --stage} name, before any overrides.
     *
     * @param name one of {@link #NAMES}
     * @return the stages to run in order
     * @throws ConfigException if the name is unknown
     */
    public static List<Stage> named(String name) {
        if (name.equals("demo")) {
            List<Stage> flow = new ArrayList<>();
            flow.add(STABILISE.stage());
            STAGES.values().forEach(e -> flow.add(e.stage()));
            flow.add(RAMP_DOWN);
            return List.copyOf(flow);
        }
        Entry e = STAGES.get(name);
        if (e == null) {
            throw new ConfigException("unknown stage '" + name + "'; expected one of " + NAMES);
        }
        return List.of(e.stage());
    }

    /**
     * The default thresholds of a stage, each bound to the stage by name.
     *
     * @param stageName the stage's name
     * @return its thresholds, none for a stage that has none
     */
    public static List<Threshold> defaultThresholds(String stageName) {
        List<String> thresholds = stageName.equals(STABILISE.name()) ? STABILISE.thresholds()
                : stageName.equals(RAMP_DOWN.name()) ? RAMP_DOWN_THRESHOLDS
                : STAGES.containsKey(stageName) ? STAGES.get(stageName).thresholds() : List.of();
        return thresholds.stream().map(t -> Threshold.parse(stageName + "/" + t, List.of(stageName))).toList();
    }

    /**
     * The stage lines of {@code --help}, from the same table.
     *
     * @return one line per stage
     */
    public static String help() {
        StringBuilder text = new StringBuilder();
        for (Entry e : STAGES.values()) {
            String load = String.format(Locale.ROOT, "%d users, %.0f%% reads, steady %dm%s", e.users(),
                                        e.readRatio() * 100, e.steady().toMinutes(),
                                        e.stress() ? ", DB CPU stress" : "");
            String thresholds = e.thresholds().isEmpty() ? "" : "thresholds " + String.join(", ", e.thresholds());
            text.append(String.format(Locale.ROOT, "  %-13s %-46s %s%n", e.name(), load, thresholds));
        }
        text.append(String.format(Locale.ROOT, "  %-13s the whole flow in order: %s (%d users, %dm), %s,%n", "demo",
                                  STABILISE.name(), STABILISE.users(), STABILISE.steady().toMinutes(),
                                  STAGES.keySet().stream().collect(Collectors.joining(", "))));
        text.append(String.format(Locale.ROOT, "  %-13s %s (%d -> 0 users over %dm)%n", "", RAMP_DOWN.name(),
                                  RAMP_DOWN.fromUsers(), RAMP_DOWN.ramp().toMinutes()));
        return text.toString();
    }
}
