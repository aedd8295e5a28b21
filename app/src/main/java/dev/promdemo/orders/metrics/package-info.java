/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The API's own metrics: request timings by route, statement timings by name (a DbClient service), order counters
 * and process gauges. Helidon's registry exports them on the admin socket's {@code /metrics}.
 */
package dev.promdemo.orders.metrics;
