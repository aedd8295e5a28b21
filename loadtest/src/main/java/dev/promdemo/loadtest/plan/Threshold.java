/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pass/fail target such as {@code read:p95<300ms} or {@code db-stress/all:errors<5%}.
 *
 * <p>Latency targets are judged on the steady-state, coordinated-omission-corrected latency of the stage; rate
 * targets on every request of the stage, ramp included (an error in the ramp is still an error). {@code errors} is
 * the share of requests that failed in any way, shed ones (503) included: the user was not served. {@code shed} is
 * the share answered 503 alone, to bound the API's load shedding apart from its failures. A target with no samples to
 * judge fails: silence is never a pass.
 *
 * @param stage the stage it applies to, or {@code null} for every stage
 * @param scope {@code read}, {@code write} or {@code all}
 * @param metric {@code p50}, {@code p90}, {@code p95}, {@code p99}, {@code p99.9}, {@code max}, {@code errors} or
 *               {@code shed}
 * @param limit the exclusive upper bound: milliseconds for latency, a fraction (0.05 = 5 %) for rates
 * @param expression the text it was parsed from
 */
public record Threshold(String stage, String scope, String metric, double limit, String expression) {
    /** The scopes a threshold may name. */
    public static final List<String> SCOPES = List.of("read", "write", "all");
    /** The metrics a threshold may name. */
    public static final List<String> METRICS = List.of("p50", "p90", "p95", "p99", "p99.9", "max", "errors", "shed");

    private static final Pattern SYNTAX = Pattern.compile(
            "(?:(?<stage>[a-z][a-z-]*)/)?(?<scope>[a-z]+):(?<metric>[a-z0-9.]+)\\s*<\\s*(?<value>[0-9]+(?:\\.[0-9]+)?)"
                    + "\\s*(?<unit>us|ms|s|%)?");

    /**
     * Parses one {@code [stage/]scope:metric<value[unit]} expression.
     *
     * @param text the expression
     * @param stages the stage names that may be named
     * @return the threshold
     * @throws ConfigException if it is malformed or names something unknown
     */
    public static Threshold parse(String text, List<String> stages) {
        String trimmed = text.trim();
        Matcher m = SYNTAX.matcher(trimmed);
        if (!m.matches()) {
            throw new ConfigException("malformed threshold '" + text
                                              + "'; expected [stage/]scope:metric<value, e.g. read:p95<300ms or all:errors<5%");
        }
        String stage = m.group("stage");
        if (stage != null && !stages.contains(stage)) {
            throw new ConfigException("threshold '" + text + "' names unknown stage '" + stage + "'; this run has "
                                              + stages);
        }
        String scope = m.group("scope");
        if (!SCOPES.contains(scope)) {
            throw new ConfigException("threshold '" + text + "' names unknown operation '" + scope + "'; expected one of "
                                              + SCOPES);
        }
        String metric = m.group("metric");
        if (!METRICS.contains(metric)) {
            throw new ConfigException("threshold '" + text + "' names unknown metric '" + metric + "'; expected one of "
                                              + METRICS);
        }
        double value = Double.parseDouble(m.group("value"));
        String unit = m.group("unit");
        double limit;
        if (rate(metric)) {
            if (!"%".equals(unit)) {
                throw new ConfigException("threshold '" + text + "': a rate needs a percentage, e.g. " + metric + "<5%");
            }
            limit = value / 100;
        } else {
            if (unit == null || unit.equals("%")) {
                throw new ConfigException("threshold '" + text + "': a latency needs a unit (us, ms or s), e.g. p95<300ms");
            }
            limit = switch (unit) {
                case "us" -> value / 1000;
                case "s" -> value * 1000;
                default -> value;
            };
        }
        return new Threshold(stage, scope, metric, limit, trimmed);
    }

    /**
     * Whether this threshold judges a share of requests ({@code errors}, {@code shed}) rather than a latency.
     *
     * @return {@code true} for a rate
     */
    public boolean isRate() {
        return rate(metric);
    }

    private static boolean rate(String metric) {
        return metric.equals("errors") || metric.equals("shed");
    }

    /**
     * Whether this threshold judges the named stage.
     *
     * @param stageName a stage's name
     * @return {@code true} if it applies
     */
    public boolean appliesTo(String stageName) {
        return stage == null || stage.equals(stageName);
    }

    /**
     * The percentile this latency threshold reads, 100 for {@code max}.
     *
     * @return the percentile
     */
    public double percentile() {
        return metric.equals("max") ? 100 : Double.parseDouble(metric.substring(1));
    }

    /**
     * Formats a measured value in this threshold's unit, for reports.
     *
     * @param actual milliseconds, or a fraction for errors
     * @return the text
     */
    public String format(double actual) {
        return rate(metric)
                ? String.format(Locale.ROOT, "%.2f%%", actual * 100)
                : String.format(Locale.ROOT, "%.2fms", actual);
    }
}
