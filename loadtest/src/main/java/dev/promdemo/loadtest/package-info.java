/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The staged load generator: closed-model virtual users (or an open arrival rate) against the order API, measured
 * with HdrHistogram, exported to Prometheus, judged by thresholds and written up as JSON and HTML.
 *
 * <p>This package wires the parts ({@link dev.promdemo.loadtest.LoadTest}); each subpackage holds one concern and
 * states the one rule about what it may import. {@code cli} is the entry point.
 */
package dev.promdemo.loadtest;
