/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An alert that must fire while a stage's fault (or, without one, the stage) lasts and resolve soon after it ends:
 * {@code --expect-alert db-outage:MysqlDown}.
 *
 * <p>It must fire within the rule's {@code for:} plus two scrape intervals, one evaluation interval and a 1-minute
 * rate window of the fault starting, must start firing after the fault started (an alert already firing proves nothing), and must resolve
 * within {@link #resolveWithin} of the fault ending.
 *
 * @param stage the stage
 * @param alert the alert's name
 * @param resolveWithin how soon after the fault ends it must have resolved
 * @param builtIn whether it is one of the stage's own expectations (dropped, with a note, when the stage is too short
 *                for the alert's {@code for:}); a given one is always judged
 */
public record AlertExpectation(String stage, String alert, Duration resolveWithin, boolean builtIn) {
    /** How soon an alert must resolve after its fault ends, unless said otherwise. */
    public static final Duration RESOLVE = Duration.ofMinutes(2);

    private static final Pattern SYNTAX = Pattern.compile("(?<stage>[a-z][a-z-]*):(?<alert>[A-Za-z_][A-Za-z0-9_]*)");

    /**
     * Parses {@code stage:AlertName}.
     *
     * @param text the text
     * @param stages the stages of this run
     * @return the expectation
     * @throws ConfigException if it is malformed or names a stage not in the run
     */
    public static AlertExpectation parse(String text, List<String> stages) {
        Matcher m = SYNTAX.matcher(text.trim());
        if (!m.matches()) {
            throw new ConfigException("malformed --expect-alert '" + text + "'; expected <stage>:<AlertName>, e.g. "
                                              + "db-outage:OrderApiDatabaseUnavailable");
        }
        if (!stages.contains(m.group("stage"))) {
            throw new ConfigException("--expect-alert '" + text + "' names stage '" + m.group("stage")
                                              + "', which this run does not have; it has " + stages);
        }
        return new AlertExpectation(m.group("stage"), m.group("alert"), RESOLVE, false);
    }

    /**
     * The text form.
     *
     * @return {@code stage:AlertName}
     */
    public String expression() {
        return stage + ":" + alert;
    }
}
