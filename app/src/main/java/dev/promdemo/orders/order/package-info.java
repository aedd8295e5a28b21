/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The domain: orders as clients send and read them, the store they are kept in, and the store's errors.
 *
 * <p>Rule: this package uses the JDK only; it knows neither HTTP, nor SQL, nor Helidon.
 */
package dev.promdemo.orders.order;
