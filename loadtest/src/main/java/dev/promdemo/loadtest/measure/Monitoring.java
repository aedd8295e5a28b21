/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What Prometheus saw during the run, and the verdicts drawn from it.
 *
 * @param prometheus the Prometheus asked
 * @param checks every verdict, in stage order
 * @param alerts when each alert fired during the run (the timeline)
 * @param serverP95 the API's own p95 latency over time: pairs of seconds since the run started and milliseconds
 * @param stageServerP95 the API's p95 latency over each whole stage, milliseconds, by stage name
 * @param notes what was not judged and why (a built-in expectation the stage was too short for)
 */
public record Monitoring(String prometheus, List<Check> checks, List<AlertSpan> alerts, List<double[]> serverP95,
                         Map<String, Double> stageServerP95, List<String> notes) {
    /**
     * Whether every verdict of a stage held.
     *
     * @param stage the stage's name
     * @return {@code true} if none failed
     */
    public boolean passed(String stage) {
        return checks.stream().filter(c -> c.stage().equals(stage)).allMatch(Check::passed);
    }

    /**
     * Whether every verdict held.
     *
     * @return {@code true} if none failed
     */
    public boolean passed() {
        return checks.stream().allMatch(Check::passed);
    }

    /**
     * One alert's firing span.
     *
     * @param alert the alert's name
     * @param severity its severity label
     * @param from when it was first seen firing
     * @param to when it was last seen firing (it resolved after that), or {@code null} if it still fires
     * @param expected whether a stage expected it
     */
    public record AlertSpan(String alert, String severity, Instant from, Instant to, boolean expected) {
    }
}
