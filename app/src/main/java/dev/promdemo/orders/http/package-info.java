/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The HTTP layer: the order service, request parsing and validation, the JSON wire format, and the one place that
 * turns failures into RFC 9457 problem responses.
 *
 * <p>Rule: nothing here imports {@code java.sql} or {@code io.helidon.dbclient}; it sees the store only through
 * {@link dev.promdemo.orders.order.OrderStore} and its exceptions.
 */
package dev.promdemo.orders.http;
