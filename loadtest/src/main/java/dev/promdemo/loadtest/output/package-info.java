/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The outputs: the console, the interval log, {@code summary.json}, {@code report.html} and the Prometheus endpoint.
 *
 * <p>Rule: reads results ({@code measure}, {@code plan}) only; never {@code engine}, {@code target} or {@code fault}.
 */
package dev.promdemo.loadtest.output;
