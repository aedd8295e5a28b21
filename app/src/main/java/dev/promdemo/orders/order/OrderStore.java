/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.order;

import java.util.Optional;

/**
 * Where orders are kept. The HTTP layer sees only this, so it can be served by a store that fails on demand in tests.
 */
public interface OrderStore {
    /**
     * Finds an order with its items.
     *
     * @param orderId the order's id
     * @return the order, or empty if there is none
     * @throws StoreUnavailableException when the store cannot answer now (down, too slow, overloaded)
     */
    Optional<Order> find(long orderId);

    /**
     * Writes a new order and all its items, all or nothing.
     *
     * @param order the validated order
     * @return the order as stored, with its ids
     * @throws UnknownCustomerException when the order's customer does not exist
     * @throws StoreUnavailableException when the store cannot answer now; nothing was written
     */
    Order create(NewOrder order);
}
