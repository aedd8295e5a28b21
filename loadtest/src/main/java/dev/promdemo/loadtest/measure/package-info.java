/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The measurement: recordings (observed, corrected and schedule lag in HdrHistogram), the closed model's
 * coordinated-omission correction, interval samples and the results of stages and runs.
 *
 * <p>Rule: imports {@code plan} and HdrHistogram only; it knows nothing of HTTP, the models or the outputs.
 */
package dev.promdemo.loadtest.measure;
