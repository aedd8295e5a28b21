/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.order;

import java.math.BigDecimal;
import java.util.List;

/**
 * A validated order as a client asked for it, before it is written.
 *
 * @param customerId the customer placing the order
 * @param items the lines, at least one
 */
public record NewOrder(long customerId, List<Line> items) {
    public NewOrder {
        items = List.copyOf(items);
    }

    /**
     * The server-side total: the exact sum of quantity times unit price.
     *
     * @return the total, scale 2
     */
    public BigDecimal total() {
        BigDecimal total = BigDecimal.ZERO.setScale(2);
        for (Line line : items) {
            total = total.add(line.unitPrice().multiply(BigDecimal.valueOf(line.quantity())));
        }
        return total;
    }

    /**
     * One validated line of a new order.
     *
     * @param productId the product
     * @param quantity how many, positive
     * @param unitPrice the price of one, scale 2
     */
    public record Line(long productId, int quantity, BigDecimal unitPrice) {
    }
}
