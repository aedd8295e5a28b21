/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.http;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import dev.promdemo.orders.order.NewOrder;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HttpMediaType;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Parses and validates requests: the order id of a path, the content type and size of a body, and the body into a
 * {@link NewOrder}. Each refuses bad input with an {@link ApiProblem} naming the first offending field.
 *
 * <p>Validation is strict: numbers must be JSON numbers (never strings), ids and quantities integers, prices have at
 * most two decimals, and unknown fields are refused so a misspelt name cannot be silently ignored.
 */
public final class OrderRequests {
    private static final Set<String> ORDER_FIELDS = Set.of("customer_id", "items");
    private static final Set<String> ITEM_FIELDS = Set.of("product_id", "quantity", "unit_price");

    private final Limits limits;

    OrderRequests(Limits limits) {
        this.limits = limits;
    }

    /**
     * Parses an order id from a path.
     *
     * @param raw the path parameter
     * @return the id, positive
     * @throws ApiProblem unless it is a positive decimal integer that fits a long
     */
    static long orderId(String raw) {
        if (raw.isEmpty() || raw.length() > 19 || !raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiProblem.invalidId("the order id must be a positive integer, was '" + truncate(raw) + "'");
        }
        long id;
        try {
            id = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw ApiProblem.invalidId("the order id is out of range");
        }
        if (id < 1) {
            throw ApiProblem.invalidId("the order id must be a positive integer, was '" + raw + "'");
        }
        return id;
    }

    /**
     * Accepts only JSON bodies, in UTF-8 if a charset is named.
     *
     * @param type the request's content type, or {@code null} if it has none
     * @throws ApiProblem (415) for anything else
     */
    static void requireJson(HttpMediaType type) {
        boolean json = type != null && type.mediaType().equals(MediaTypes.APPLICATION_JSON)
                && type.charset().map(c -> c.equalsIgnoreCase("utf-8")).orElse(true);
        if (!json) {
            throw ApiProblem.unsupportedMediaType(type == null ? "missing" : type.text());
        }
    }

    /**
     * Refuses a body larger than {@code api.max-body-bytes}.
     *
     * @param length the body's length, as declared or as read
     * @throws ApiProblem (413) if it is too large
     */
    void requireSize(long length) {
        if (length > limits.maxBodyBytes()) {
            throw ApiProblem.bodyTooLarge(limits.maxBodyBytes());
        }
    }

    /**
     * The largest body accepted.
     *
     * @return bytes
     */
    int maxBodyBytes() {
        return limits.maxBodyBytes();
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

    private static String truncate(String raw) {
        return raw.length() <= 32 ? raw : raw.substring(0, 32) + "...";
    }

    /**
     * The input limits, from configuration ({@code api.*}).
     *
     * @param maxBodyBytes the largest request body accepted
     * @param maxItems the most lines one order may have
     * @param maxQuantity the largest quantity of one line
     * @param maxUnitPrice the largest unit price
     */
    public record Limits(int maxBodyBytes, int maxItems, int maxQuantity, BigDecimal maxUnitPrice) {
    }
}
