/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.order;

import java.math.BigDecimal;
import java.util.List;

/**
 * An order as stored, in the shape the API returns it.
 *
 * @param orderId the order's id
 * @param customerId the customer who placed it
 * @param totalAmount the exact total, scale 2
 * @param status the order's status, {@code NEW} for orders created through the API
 * @param createdAt when it was created, ISO-8601 in UTC with milliseconds
 * @param items its lines, in the order they were written
 */
public record Order(long orderId, long customerId, BigDecimal totalAmount, String status, String createdAt,
             List<Item> items) {
    public Order {
        items = List.copyOf(items);
    }

    /**
     * One stored line of an order.
     *
     * @param itemId the line's id
     * @param productId the product
     * @param quantity how many
     * @param unitPrice the price of one, scale 2
     */
    public record Item(long itemId, long productId, int quantity, BigDecimal unitPrice) {
    }
}
