/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.order;

/**
 * The store cannot answer now: unreachable, too slow or overloaded. Retrying later may succeed; nothing was written.
 */
public final class StoreUnavailableException extends RuntimeException {
    /**
     * @param message what failed
     * @param cause the underlying failure
     */
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
