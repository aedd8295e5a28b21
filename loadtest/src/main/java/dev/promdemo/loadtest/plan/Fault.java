/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.time.Duration;

/**
 * A fault a stage injects: which one, when it starts within the stage and how long it lasts. The host undoes it by
 * itself after {@code length} (the database started again, the delay removed, the API restarted).
 *
 * @param name {@code db-outage}, {@code db-slow} or {@code api-crash}
 * @param after when it starts, from the stage's start
 * @param length how long it lasts: the outage, the added delay, or the time the crashed API stays down
 * @param does what it does, for the plan and the report
 */
public record Fault(String name, Duration after, Duration length, String does) {
    /**
     * When the fault has ended, from the stage's start.
     *
     * @return {@code after + length}
     */
    public Duration end() {
        return after.plus(length);
    }
}
