/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.order;

/**
 * An order names a customer that does not exist; nothing was written.
 */
public final class UnknownCustomerException extends RuntimeException {
    private final long customerId;

    /**
     * @param customerId the customer the order named
     */
    public UnknownCustomerException(long customerId) {
        super("no customer with id " + customerId, null, false, false);
        this.customerId = customerId;
    }

    /**
     * The customer the order named.
     *
     * @return its id
     */
    public long customerId() {
        return customerId;
    }
}
