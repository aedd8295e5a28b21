/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.util.Locale;

/**
 * What one request does; the name is the {@code operation} label, so the set stays small and fixed.
 */
public enum Operation {
    /** {@code GET /api/order/{id}} of an order that exists. */
    READ,
    /** {@code POST /api/order} of a random order for an existing customer. */
    WRITE;

    /**
     * The label in metrics, summaries and threshold scopes.
     *
     * @return {@code read} or {@code write}
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
