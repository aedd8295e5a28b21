/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The plan: stages (built-in ones and their default thresholds, in one table), the open model's schedule, threshold
 * syntax, and the vocabulary of operations and outcomes.
 *
 * <p>Rule: imports the JDK and HdrHistogram only.
 */
package dev.promdemo.loadtest.plan;
