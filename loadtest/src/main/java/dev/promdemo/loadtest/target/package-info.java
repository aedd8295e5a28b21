/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The system under test: the HTTP client, the workload (what to send), and the verification pass.
 *
 * <p>Rule: the only package that speaks HTTP to the API ({@code java.net.http}; {@code verdict} speaks it to
 * Prometheus); imports {@code plan} and {@code measure}'s result types, never {@code engine} or {@code output}.
 */
package dev.promdemo.loadtest.target;
