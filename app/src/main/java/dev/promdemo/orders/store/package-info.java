/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The data layer: the order repository over Helidon DbClient, its connection pools, the readiness check on the
 * database, and the schema migrations.
 *
 * <p>Rule: nothing here imports {@code io.helidon.http} or {@code io.helidon.webserver}; failures leave this package
 * as the exceptions of {@link dev.promdemo.orders.order}.
 */
package dev.promdemo.orders.store;
