/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Injected faults: CPU stress on the database host, and the fault stages (the database stopped or slowed, the API
 * crashed), locally through the local stack or on AWS with Run Command.
 *
 * <p>Rule: imports {@code plan} only (for its configuration error).
 */
package dev.promdemo.loadtest.fault;
