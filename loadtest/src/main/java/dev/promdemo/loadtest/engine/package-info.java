/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The load models: virtual users (closed) and a fixed arrival rate (open). They send through {@code target} and
 * record into {@code measure}.
 *
 * <p>Rule: never imports {@code output} or Prometheus; a model only sends and records.
 */
package dev.promdemo.loadtest.engine;
