/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.http;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import dev.promdemo.orders.order.NewOrder;

import io.helidon.http.HttpMediaType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Request parsing and validation alone: no server, no database. Every bad input the integration tests send over HTTP
 * is checked here too ({@link BadRequests}), except the unknown customer, which only the database can tell.
 */
class OrderRequestsTest {
    private static final OrderRequests.Limits LIMITS = new OrderRequests.Limits(16384, 50, 1000,
                                                                               new BigDecimal("1000000.00"));
    private final OrderRequests requests = new OrderRequests(LIMITS);

    /**
     * Every hostile order of the integration tests but the unknown customer, which only the store can tell.
     *
     * @return body, status, type, field
     */
    static Stream<Arguments> hostileOrdersWithoutAStore() {
        return BadRequests.hostileOrders().filter(a -> !"/problems/unknown-customer".equals(a.get()[2]));
    }

    @ParameterizedTest
    @MethodSource("hostileOrdersWithoutAStore")
    void hostileOrdersAreRefusedWithTheirProblem(String body, int status, String type, String field) {
        ApiProblem problem = assertThrows(ApiProblem.class,
                                          () -> requests.parse(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals(status, problem.status(), problem.getMessage());
        assertEquals(type, problem.type());
        if (field != null) {
            assertEquals(field, problem.field());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.promdemo.orders.http.BadRequests#invalidOrderIds")
    void invalidOrderIdsAreRefused(String raw) {
        // The IT sends "%20", which the server decodes to a space before routing.
        String decoded = raw.equals("%20") ? " " : raw;
        ApiProblem problem = assertThrows(ApiProblem.class, () -> OrderRequests.orderId(decoded));
        assertEquals(400, problem.status());
        assertEquals("/problems/invalid-id", problem.type());
        assertEquals("id", problem.field());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "42", "9223372036854775807"})
    void validOrderIdsAreParsed(String raw) {
        assertEquals(Long.parseLong(raw), OrderRequests.orderId(raw));
    }

    @ParameterizedTest
    @MethodSource("dev.promdemo.orders.http.BadRequests#wrongContentTypes")
    void wrongContentTypesAreRefused(String contentType) {
        ApiProblem problem = assertThrows(ApiProblem.class,
                                          () -> OrderRequests.requireJson(HttpMediaType.create(contentType)));
        assertEquals(415, problem.status());
        assertEquals("/problems/unsupported-media-type", problem.type());
    }

    @Test
    void missingContentTypeIsRefused() {
        assertEquals(415, assertThrows(ApiProblem.class, () -> OrderRequests.requireJson(null)).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/json; charset=UTF-8", "application/json;charset=utf-8"})
    void jsonInUtf8IsAccepted(String contentType) {
        OrderRequests.requireJson(HttpMediaType.create(contentType));
    }

    @Test
    void bodyOverTheLimitIsRefusedWithTheLimit() {
        requests.requireSize(16384);
        ApiProblem problem = assertThrows(ApiProblem.class, () -> requests.requireSize(16385));
        assertEquals(413, problem.status());
        assertEquals("/problems/body-too-large", problem.type());
        assertEquals("the request body must be at most 16384 bytes", problem.getMessage());
    }

    @Test
    void validOrderIsParsedWithAnExactTotal() {
        NewOrder order = requests.parse("""
                {"customer_id": 7, "items": [
                  {"product_id": 11, "quantity": 3, "unit_price": 0.10},
                  {"product_id": 12, "quantity": 1, "unit_price": 19.99},
                  {"product_id": 13, "quantity": 1000, "unit_price": 0.01}]}""".getBytes(StandardCharsets.UTF_8));
        assertEquals(7, order.customerId());
        assertEquals(3, order.items().size());
        assertEquals(new NewOrder.Line(12, 1, new BigDecimal("19.99")), order.items().get(1));
        assertEquals(new BigDecimal("30.29"), order.total());
    }
}
