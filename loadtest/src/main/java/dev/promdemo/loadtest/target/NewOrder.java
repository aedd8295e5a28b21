/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.target;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An order the generator sends, kept compact (primitive arrays) because the verification pass may hold many.
 *
 * @param customerId the customer, one that exists
 * @param productIds the product of each line
 * @param quantities the quantity of each line
 * @param priceCents the unit price of each line, in cents
 */
public record NewOrder(long customerId, long[] productIds, int[] quantities, long[] priceCents) {
    /**
     * A random order: an existing customer, 1 to 5 lines, quantities 1 to 5, prices 1.00 to 200.00.
     *
     * @param random the user's random source
     * @param customers customer ids 1..customers exist
     * @param products product ids 1..products are used
     * @return the order
     */
    public static NewOrder random(SplittableRandom random, int customers, int products) {
        int lines = 1 + random.nextInt(5);
        long[] productIds = new long[lines];
        int[] quantities = new int[lines];
        long[] prices = new long[lines];
        for (int i = 0; i < lines; i++) {
            productIds[i] = 1 + random.nextInt(products);
            quantities[i] = 1 + random.nextInt(5);
            prices[i] = 100 + random.nextInt(19_901);
        }
        return new NewOrder(1 + random.nextInt(customers), productIds, quantities, prices);
    }

    /**
     * The request body, in the API's snake_case shape.
     *
     * @return UTF-8 JSON
     */
    public byte[] json() {
        StringBuilder json = new StringBuilder(64 + 64 * productIds.length);
        json.append("{\"customer_id\":").append(customerId).append(",\"items\":[");
        for (int i = 0; i < productIds.length; i++) {
            json.append(i == 0 ? "" : ",").append("{\"product_id\":").append(productIds[i])
                    .append(",\"quantity\":").append(quantities[i])
                    .append(",\"unit_price\":").append(price(i).toPlainString()).append('}');
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Compares a stored order as the API returns it with this one.
     *
     * @param order the API's order JSON
     * @return {@code null} if it matches, else what differs
     */
    public String difference(JsonNode order) {
        if (order.path("customer_id").asLong(-1) != customerId) {
            return "customer_id " + order.path("customer_id") + " != " + customerId;
        }
        JsonNode items = order.path("items");
        if (!items.isArray() || items.size() != productIds.length) {
            return "items: " + items.size() + " lines != " + productIds.length;
        }
        BigDecimal total = BigDecimal.ZERO;
        for (int i = 0; i < productIds.length; i++) {
            JsonNode item = items.get(i);
            BigDecimal price = price(i);
            if (item.path("product_id").asLong(-1) != productIds[i] || item.path("quantity").asInt(-1) != quantities[i]
                    || !item.path("unit_price").isNumber() || item.path("unit_price").decimalValue().compareTo(price) != 0) {
                return "items[" + i + "] " + item + " != product " + productIds[i] + " x" + quantities[i] + " at " + price;
            }
            total = total.add(price.multiply(BigDecimal.valueOf(quantities[i])));
        }
        JsonNode amount = order.path("total_amount");
        if (!amount.isNumber() || amount.decimalValue().compareTo(total) != 0) {
            return "total_amount " + amount + " != " + total.toPlainString();
        }
        return null;
    }

    private BigDecimal price(int i) {
        return BigDecimal.valueOf(priceCents[i], 2);
    }
}
