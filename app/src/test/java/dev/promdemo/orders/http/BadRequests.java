/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.http;

import java.util.Collections;
import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

/**
 * The bad requests the API must refuse, shared by the unit tests of parsing and the integration tests over HTTP, so
 * both tiers check the very same inputs.
 */
public final class BadRequests {
    /** A valid order line. */
    public static final String VALID_ITEM = "{\"product_id\":3,\"quantity\":1,\"unit_price\":1.00}";

    private BadRequests() {
    }

    /**
     * Path ids that are not a positive integer that fits a long.
     *
     * @return the raw path segments
     */
    public static Stream<String> invalidOrderIds() {
        return Stream.of("abc", "0", "-1", "1.5", "99999999999999999999", "9223372036854775808", "1e3", "%20");
    }

    /**
     * Content types other than JSON in UTF-8.
     *
     * @return the header values
     */
    public static Stream<String> wrongContentTypes() {
        return Stream.of("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1");
    }

    /**
     * Order bodies that must be refused, with the status, problem type and field of the refusal.
     *
     * @return body, status, type, field
     */
    public static Stream<Arguments> hostileOrders() {
        String item = VALID_ITEM;
        String tooMany = "[" + String.join(",", Collections.nCopies(51, item)) + "]";
        return Stream.of(
                // malformed JSON
                Arguments.of("{", 400, "/problems/malformed-json", null),
                Arguments.of("", 400, "/problems/malformed-json", null),
                Arguments.of("{\"customer_id\":7,\"items\":[" + item + "]} trailing", 400,
                             "/problems/malformed-json", null),
                Arguments.of("{\"customer_id\":7,\"customer_id\":8,\"items\":[" + item + "]}", 400,
                             "/problems/malformed-json", null),
                // wrong shapes and types
                Arguments.of("[]", 422, "/problems/invalid-field", ""),
                Arguments.of("\"order\"", 422, "/problems/invalid-field", ""),
                Arguments.of("{\"customer_id\":\"7\",\"items\":[" + item + "]}", 422, "/problems/invalid-field",
                             "customer_id"),
                Arguments.of("{\"customer_id\":7.5,\"items\":[" + item + "]}", 422, "/problems/invalid-field",
                             "customer_id"),
                Arguments.of("{\"customer_id\":true,\"items\":[" + item + "]}", 422, "/problems/invalid-field",
                             "customer_id"),
                Arguments.of("{\"customer_id\":7,\"items\":{}}", 422, "/problems/invalid-field", "items"),
                Arguments.of("{\"customer_id\":7,\"items\":[3]}", 422, "/problems/invalid-field", "items[0]"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":\"3\",\"quantity\":1,\"unit_price\":1}]}",
                             422, "/problems/invalid-field", "items[0].product_id"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":1,\"unit_price\":\"1.00\"}]}",
                             422, "/problems/invalid-field", "items[0].unit_price"),
                // missing, null and unknown fields
                Arguments.of("{\"items\":[" + item + "]}", 422, "/problems/invalid-field", "customer_id"),
                Arguments.of("{\"customer_id\":null,\"items\":[" + item + "]}", 422, "/problems/invalid-field",
                             "customer_id"),
                Arguments.of("{\"customer_id\":7}", 422, "/problems/invalid-field", "items"),
                Arguments.of("{\"customer_id\":7,\"items\":null}", 422, "/problems/invalid-field", "items"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"unit_price\":1}]}", 422,
                             "/problems/invalid-field", "items[0].quantity"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":null,\"unit_price\":1}]}",
                             422, "/problems/invalid-field", "items[0].quantity"),
                Arguments.of("{\"customerId\":7,\"items\":[" + item + "]}", 422, "/problems/invalid-field",
                             "customerId"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":1,\"unit_price\":1,"
                                     + "\"discount\":5}]}", 422, "/problems/invalid-field", "items[0].discount"),
                // out of range ids
                Arguments.of("{\"customer_id\":0,\"items\":[" + item + "]}", 422, "/problems/invalid-field",
                             "customer_id"),
                Arguments.of("{\"customer_id\":-4,\"items\":[" + item + "]}", 422, "/problems/invalid-field",
                             "customer_id"),
                Arguments.of("{\"customer_id\":92233720368547758070,\"items\":[" + item + "]}", 422,
                             "/problems/invalid-field", "customer_id"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":0,\"quantity\":1,\"unit_price\":1}]}",
                             422, "/problems/invalid-field", "items[0].product_id"),
                // unknown customer
                Arguments.of("{\"customer_id\":987654321,\"items\":[" + item + "]}", 422,
                             "/problems/unknown-customer", "customer_id"),
                // empty or too many items
                Arguments.of("{\"customer_id\":7,\"items\":[]}", 422, "/problems/invalid-field", "items"),
                Arguments.of("{\"customer_id\":7,\"items\":" + tooMany + "}", 422, "/problems/invalid-field", "items"),
                // quantity <= 0, fractional or too large
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":0,\"unit_price\":1}]}",
                             422, "/problems/invalid-field", "items[0].quantity"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":-2,\"unit_price\":1}]}",
                             422, "/problems/invalid-field", "items[0].quantity"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":1.5,\"unit_price\":1}]}",
                             422, "/problems/invalid-field", "items[0].quantity"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":1001,\"unit_price\":1}]}",
                             422, "/problems/invalid-field", "items[0].quantity"),
                // negative, over-precise or too large prices
                Arguments.of("{\"customer_id\":7,\"items\":[" + item + ",{\"product_id\":3,\"quantity\":1,"
                                     + "\"unit_price\":-0.01}]}", 422, "/problems/invalid-field", "items[1].unit_price"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":1,\"unit_price\":1.001}]}",
                             422, "/problems/invalid-field", "items[0].unit_price"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":1,"
                                     + "\"unit_price\":1000000.01}]}", 422, "/problems/invalid-field",
                             "items[0].unit_price"),
                Arguments.of("{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":1,\"unit_price\":1e400}]}",
                             422, "/problems/invalid-field", "items[0].unit_price"));
    }
}
