/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Turns a request body into a {@link NewOrder}, or refuses it with the first offending field.
 *
 * <p>Validation is strict: numbers must be JSON numbers (never strings), ids and quantities integers, prices have at
 * most two decimals, and unknown fields are refused so a misspelt name cannot be silently ignored.
 */
final class OrderRequests {
    private static final Set<String> ORDER_FIELDS = Set.of("customer_id", "items");
    private static final Set<String> ITEM_FIELDS = Set.of("product_id", "quantity", "unit_price");

    private final Limits limits;

    OrderRequests(Limits limits) {
        this.limits = limits;
    }

    /**
     * Parses and validates a new order.
     *
     * @param body the request body
     * @return the validated order
     * @throws ApiProblem for any malformed or invalid input
     */
    NewOrder parse(byte[] body) {
        JsonNode root = Json.read(body);
        if (!root.isObject()) {
            throw ApiProblem.invalidField("", "the request body must be a JSON object");
        }
        rejectUnknown(root, ORDER_FIELDS, "");
        long customerId = positiveLong(root, "customer_id", "customer_id");
        JsonNode items = required(root, "items", "items");
        if (!items.isArray()) {
            throw ApiProblem.invalidField("items", "items must be an array");
        }
        if (items.isEmpty() || items.size() > limits.maxItems()) {
            throw ApiProblem.invalidField("items", "items must hold between 1 and " + limits.maxItems() + " lines");
        }
        List<NewOrder.Line> lines = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            lines.add(line(items.get(i), "items[" + i + "]"));
        }
        return new NewOrder(customerId, lines);
    }

    private NewOrder.Line line(JsonNode item, String path) {
        if (!item.isObject()) {
            throw ApiProblem.invalidField(path, path + " must be an object");
        }
        rejectUnknown(item, ITEM_FIELDS, path + ".");
        long productId = positiveLong(item, "product_id", path + ".product_id");
        String quantityPath = path + ".quantity";
        JsonNode quantityNode = required(item, "quantity", quantityPath);
        long quantity = integral(quantityNode, quantityPath);
        if (quantity < 1 || quantity > limits.maxQuantity()) {
            throw ApiProblem.invalidField(quantityPath,
                                          quantityPath + " must be between 1 and " + limits.maxQuantity());
        }
        return new NewOrder.Line(productId, (int) quantity, price(item, path + ".unit_price"));
    }

    private BigDecimal price(JsonNode item, String path) {
        JsonNode node = required(item, "unit_price", path);
        if (!node.isNumber()) {
            throw ApiProblem.invalidField(path, path + " must be a number");
        }
        BigDecimal price = node.decimalValue();
        if (price.signum() < 0 || price.compareTo(limits.maxUnitPrice()) > 0) {
            throw ApiProblem.invalidField(path, path + " must be between 0 and " + limits.maxUnitPrice().toPlainString());
        }
        BigDecimal stripped = price.stripTrailingZeros();
        if (stripped.scale() > 2) {
            throw ApiProblem.invalidField(path, path + " must have at most 2 decimal places");
        }
        return stripped.setScale(2);
    }

    private static long positiveLong(JsonNode parent, String name, String path) {
        long value = integral(required(parent, name, path), path);
        if (value < 1) {
            throw ApiProblem.invalidField(path, path + " must be a positive integer");
        }
        return value;
    }

    private static long integral(JsonNode node, String path) {
        if (!node.isNumber()) {
            throw ApiProblem.invalidField(path, path + " must be an integer");
        }
        if (!node.isIntegralNumber()) {
            BigDecimal decimal = node.decimalValue();
            // 3.0 is an integer written as a decimal; 3.5 is not.
            if (decimal.stripTrailingZeros().scale() > 0) {
                throw ApiProblem.invalidField(path, path + " must be an integer");
            }
        }
        if (!node.canConvertToExactIntegral() || !node.canConvertToLong()) {
            throw ApiProblem.invalidField(path, path + " is out of range");
        }
        return node.decimalValue().longValueExact();
    }

    private static JsonNode required(JsonNode parent, String name, String path) {
        JsonNode node = parent.get(name);
        if (node == null) {
            throw ApiProblem.invalidField(path, path + " is required");
        }
        if (node.isNull()) {
            throw ApiProblem.invalidField(path, path + " must not be null");
        }
        return node;
    }

    private static void rejectUnknown(JsonNode object, Set<String> known, String prefix) {
        Iterator<String> names = object.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                throw ApiProblem.invalidField(prefix + name, "unknown field " + prefix + name);
            }
        }
    }

    /**
     * The input limits, from configuration ({@code api.*}).
     *
     * @param maxBodyBytes the largest request body accepted
     * @param maxItems the most lines one order may have
     * @param maxQuantity the largest quantity of one line
     * @param maxUnitPrice the largest unit price
     */
    record Limits(int maxBodyBytes, int maxItems, int maxQuantity, BigDecimal maxUnitPrice) {
    }
}
