/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pass/fail target on what Prometheus saw, such as
 * {@code prom:job:http_server_requests_errors_per_requests:ratio_rate1m < 0.05}.
 *
 * <p>The expression is PromQL. Without {@code {window}} it is judged over the stage: every point of every series it
 * returns, every evaluation interval from a minute into the stage (so that 1-minute rates no longer hold the stage
 * before) to its end, must meet the comparison. With {@code {window}} (replaced by the stage's length, e.g.
 * {@code 245s}) it is judged once, at the stage's end: {@code sum(increase(orders_placed_total[{window}]))}. An
 * expression that returns nothing fails: silence is never a pass, and a renamed metric or rule shows up that way.
 *
 * @param stage the stage it applies to, or {@code null} for every stage
 * @param name a short name for reports ({@code error ratio}), or the expression itself
 * @param query the PromQL expression
 * @param op {@code <}, {@code <=}, {@code >} or {@code >=}
 * @param limit the bound
 * @param expression the text it was parsed from (or built as)
 */
public record PromThreshold(String stage, String name, String query, String op, double limit, String expression) {
    /** The placeholder that makes a threshold judge once, over the whole stage. */
    public static final String WINDOW = "{window}";

    private static final Pattern SYNTAX = Pattern.compile(
            "(?s)(?:(?<stage>[a-z][a-z-]*)/)?prom:(?<query>.+?)\\s*(?<op><=|>=|<|>)\\s*"
                    + "(?<value>-?[0-9]+(?:\\.[0-9]+)?(?:[eE]-?[0-9]+)?)\\s*");
    /** A recording rule's name: level:metric:operations (a colon is reserved for them). */
    private static final Pattern RULE = Pattern.compile("(?<![\\w:.])[a-zA-Z_]\\w*(?::\\w+)+");
    private static final Pattern QUOTED = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");

    /**
     * Whether a {@code --threshold} text is a Prometheus threshold.
     *
     * @param text the text
     * @return {@code true} if it is {@code [stage/]prom:...}
     */
    public static boolean matches(String text) {
        return text.trim().matches("(?s)(?:[a-z][a-z-]*/)?prom:.*");
    }

    /**
     * Parses one {@code [stage/]prom:<expression> <op> <number>}.
     *
     * @param text the text
     * @param stages the stage names that may be named
     * @return the threshold
     * @throws ConfigException if it is malformed or names an unknown stage
     */
    public static PromThreshold parse(String text, List<String> stages) {
        String trimmed = text.trim();
        Matcher m = SYNTAX.matcher(trimmed);
        if (!m.matches()) {
            throw new ConfigException("malformed threshold '" + text + "'; expected [stage/]prom:<PromQL> <op> <number>"
                                              + " with op one of < <= > >=, e.g. 'prom:job:http_server_requests_errors_"
                                              + "per_requests:ratio_rate1m < 0.05'");
        }
        String stage = m.group("stage");
        if (stage != null && !stages.contains(stage)) {
            throw new ConfigException("threshold '" + text + "' names unknown stage '" + stage + "'; this run has "
                                              + stages);
        }
        String query = m.group("query").strip();
        if (query.isEmpty()) {
            throw new ConfigException("malformed threshold '" + text + "': no PromQL before the comparison");
        }
        if (!balanced(query)) {
            throw new ConfigException("threshold '" + text + "': unbalanced brackets in '" + query + "'");
        }
        return new PromThreshold(stage, query, query, m.group("op"), Double.parseDouble(m.group("value")), trimmed);
    }

    private static boolean balanced(String query) {
        String plain = QUOTED.matcher(query).replaceAll("\"\"");
        int depth = 0;
        for (char c : plain.toCharArray()) {
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            }
            if (depth < 0) {
                return false;
            }
        }
        return depth == 0;
    }

    /**
     * A built-in threshold of one stage, with a name for reports.
     *
     * @param stage the stage
     * @param name the name
     * @param query the PromQL expression
     * @param op the comparison
     * @param limit the bound
     * @return the threshold
     */
    public static PromThreshold of(String stage, String name, String query, String op, double limit) {
        return new PromThreshold(stage, name, query, op, limit,
                                 stage + "/prom:" + query + " " + op + " " + number(limit));
    }

    /**
     * Whether a value meets the comparison.
     *
     * @param value a value Prometheus returned
     * @return {@code true} if it holds ({@code false} for NaN)
     */
    public boolean holds(double value) {
        if (Double.isNaN(value)) {
            return false;
        }
        return switch (op) {
            case "<" -> value < limit;
            case "<=" -> value <= limit;
            case ">" -> value > limit;
            default -> value >= limit;
        };
    }

    /**
     * Whether this threshold is judged once at the stage's end over its whole length ({@code {window}}) rather than
     * at every point of the stage.
     *
     * @return {@code true} for a whole-stage threshold
     */
    public boolean wholeStage() {
        return query.contains(WINDOW);
    }

    /**
     * The query with {@code {window}} replaced.
     *
     * @param seconds the stage's length
     * @return the PromQL to send
     */
    public String query(long seconds) {
        return query.replace(WINDOW, Math.max(1, seconds) + "s");
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
     * The recording rules the expression names (by their colons), which must exist in Prometheus.
     *
     * @return the names, in order of appearance
     */
    public List<String> recordingRules() {
        String plain = QUOTED.matcher(query).replaceAll("\"\"");
        // Label matchers and durations inside braces or brackets are not names.
        Set<String> names = new LinkedHashSet<>();
        Matcher m = RULE.matcher(plain.replaceAll("\\{[^}]*}", "{}").replaceAll("\\[[^]]*]", "[]"));
        while (m.find()) {
            names.add(m.group());
        }
        return new ArrayList<>(names);
    }

    /**
     * The bound as text.
     *
     * @return e.g. {@code < 0.05}
     */
    public String bound() {
        return op + " " + number(limit);
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v)
                : String.format(Locale.ROOT, "%s", v);
    }
}
