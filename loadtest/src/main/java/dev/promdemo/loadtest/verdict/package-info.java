/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Verdicts from what Prometheus saw: thresholds on PromQL over each stage's window, alerts that must fire during a
 * fault and resolve after it, the validation checklist and the orders count, and the alert timeline of the run.
 *
 * <p>Rule: the only package besides {@code target} that speaks HTTP, and only to Prometheus's query API; imports
 * {@code plan} and {@code measure}'s result types, never {@code engine}, {@code target}, {@code fault} or
 * {@code output}.
 */
package dev.promdemo.loadtest.verdict;
