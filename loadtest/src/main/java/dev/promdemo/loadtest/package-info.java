/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The staged load generator: closed-model virtual users (or an open arrival rate) against the order API, measured
 * with HdrHistogram, exported to Prometheus, judged by thresholds and written up as JSON and HTML.
 */
package dev.promdemo.loadtest;
