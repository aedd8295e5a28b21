/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

/**
 * One verdict from what Prometheus saw during a stage: a threshold on a PromQL expression, an alert that had to fire
 * and resolve, or the orders count.
 *
 * @param stage the stage
 * @param kind {@code prometheus}, {@code alert} or {@code orders}
 * @param name what was checked, e.g. {@code API error ratio < 0.05} or {@code OrderApiDatabaseUnavailable}
 * @param expression the PromQL or expectation it came from
 * @param actual what was seen, e.g. {@code max 0.012} or {@code fired 34s after the fault started, resolved 61s after
 *               it ended}
 * @param passed whether it held
 */
public record Check(String stage, String kind, String name, String expression, String actual, boolean passed) {
}
