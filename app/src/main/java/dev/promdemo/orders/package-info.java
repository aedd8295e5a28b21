/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The order API: {@code GET /api/order/{id}} and {@code POST /api/order} over MySQL, with Prometheus metrics and
 * health on a separate admin socket.
 */
package dev.promdemo.orders;
