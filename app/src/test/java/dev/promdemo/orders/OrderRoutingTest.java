/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.promdemo.orders.http.ProblemResponses;
import dev.promdemo.orders.metrics.HttpMetrics;
import dev.promdemo.orders.order.NewOrder;
import dev.promdemo.orders.order.Order;
import dev.promdemo.orders.order.OrderStore;
import dev.promdemo.orders.order.StoreUnavailableException;
import dev.promdemo.orders.order.UnknownCustomerException;

import io.helidon.config.Config;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.metrics.api.Metrics;
import io.helidon.webclient.api.ClientResponseTyped;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.DirectClient;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The API's routing ({@link Main#routing}) without a network or a database: requests go straight into the routing,
 * and the store is one the test makes fail on demand. What the HTTP layer answers for each kind of store failure is
 * checked here; that the real store raises those failures is the integration tests' part.
 */
class OrderRoutingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FailingStore STORE = new FailingStore();
    private static final String VALID = "{\"customer_id\":7,\"items\":[{\"product_id\":3,\"quantity\":2,"
            + "\"unit_price\":1.25}]}";

    private static DirectClient client;

    /*
     * The routing goes into Helidon's DirectClient by hand rather than through @RoutingTest: that extension also sets
     * up the features of application.yaml, whose observe feature wants the admin socket a routing test has not got.
     */
    @BeforeAll
    static void route() {
        HttpRouting.Builder routing = HttpRouting.builder();
        Main.routing(routing, STORE, Main.limits(Config.empty()), new HttpMetrics(Metrics.createMeterRegistry()),
                     new ProblemResponses(1_048_576));
        client = new DirectClient(routing);
    }

    @AfterAll
    static void close() {
        client.close();
    }

    @BeforeEach
    void storeWorks() {
        STORE.failure = null;
    }

    @Test
    void storedOrderIsReturnedAsJson() throws Exception {
        ClientResponseTyped<String> response = client.get("/api/order/5").request(String.class);
        assertEquals(200, response.status().code(), response.entity());
        JsonNode order = JSON.readTree(response.entity());
        assertEquals(5, order.get("order_id").asLong());
        assertTrue(response.entity().contains("\"total_amount\":2.50"), response.entity());
        assertEquals(1, order.get("items").size());
    }

    @Test
    void newOrderIsCreatedWithItsLocation() throws Exception {
        ClientResponseTyped<String> response = post(VALID);
        assertEquals(201, response.status().code(), response.entity());
        assertEquals("/api/order/100", response.headers().first(HeaderNames.LOCATION).orElseThrow());
        assertTrue(response.entity().contains("\"total_amount\":2.50"), response.entity());
    }

    @Test
    void unavailableStoreGives503WithRetryAfterOnReadsAndWrites() throws Exception {
        STORE.failure = new StoreUnavailableException("down", new RuntimeException("connection refused"));
        for (ClientResponseTyped<String> response : List.of(client.get("/api/order/5").request(String.class),
                                                            post(VALID))) {
            assertProblem(response, 503, "/problems/database-unavailable");
            assertEquals("1", response.headers().first(HeaderNames.RETRY_AFTER).orElse(""));
        }
    }

    @Test
    void unknownCustomerGives422NamingTheField() throws Exception {
        STORE.failure = new UnknownCustomerException(7);
        JsonNode problem = assertProblem(post(VALID), 422, "/problems/unknown-customer");
        assertEquals("customer_id", problem.get("field").asText());
    }

    @Test
    void unexpectedFailureGives500ThatRevealsNothing() throws Exception {
        STORE.failure = new IllegalStateException("secret internals");
        ClientResponseTyped<String> response = client.get("/api/order/5").request(String.class);
        assertProblem(response, 500, "/problems/internal");
        assertTrue(!response.entity().contains("secret"), response.entity());
    }

    @Test
    void missingOrderGives404() throws Exception {
        assertProblem(client.get("/api/order/404").request(String.class), 404, "/problems/not-found");
    }

    @Test
    void unknownPathGives404Problem() throws Exception {
        assertProblem(client.get("/api/orders").request(String.class), 404, "/problems/not-found");
        assertProblem(client.get("/").request(String.class), 404, "/problems/not-found");
    }

    @Test
    void wrongMethodGives405WithAllow() throws Exception {
        ClientResponseTyped<String> response = client.method(Method.DELETE).path("/api/order/5").request(String.class);
        assertProblem(response, 405, "/problems/method-not-allowed");
        assertEquals("GET", response.headers().first(HeaderNames.ALLOW).orElse(""));
        ClientResponseTyped<String> get = client.get("/api/order").request(String.class);
        assertProblem(get, 405, "/problems/method-not-allowed");
        assertEquals("POST", get.headers().first(HeaderNames.ALLOW).orElse(""));
    }

    @Test
    void badInputNeverReachesTheStore() throws Exception {
        STORE.failure = new IllegalStateException("the store must not be called");
        assertProblem(post("{\"customer_id\":7}"), 422, "/problems/invalid-field");
        assertProblem(client.get("/api/order/abc").request(String.class), 400, "/problems/invalid-id");
    }

    private ClientResponseTyped<String> post(String body) {
        return client.post("/api/order").header(HeaderNames.CONTENT_TYPE, "application/json").submit(body,
                                                                                                     String.class);
    }

    private static JsonNode assertProblem(ClientResponseTyped<String> response, int status, String type)
            throws Exception {
        assertEquals(status, response.status().code(), response.entity());
        assertEquals("application/problem+json", response.headers().first(HeaderNames.CONTENT_TYPE).orElse(""));
        JsonNode problem = JSON.readTree(response.entity());
        assertEquals(type, problem.get("type").asText(), response.entity());
        assertEquals(status, problem.get("status").asInt());
        return problem;
    }

    /**
     * Holds order 5 and creates order 100, unless told to fail.
     */
    private static final class FailingStore implements OrderStore {
        private volatile RuntimeException failure;

        @Override
        public Optional<Order> find(long orderId) {
            failIfAsked();
            return orderId == 5
                    ? Optional.of(new Order(5, 7, new BigDecimal("2.50"), "NEW", "2026-01-01T00:00:00.000Z",
                                            List.of(new Order.Item(9, 3, 2, new BigDecimal("1.25")))))
                    : Optional.empty();
        }

        @Override
        public Order create(NewOrder order) {
            failIfAsked();
            List<Order.Item> items = new ArrayList<>();
            for (NewOrder.Line line : order.items()) {
                items.add(new Order.Item(1000 + items.size(), line.productId(), line.quantity(), line.unitPrice()));
            }
            return new Order(100, order.customerId(), order.total(), "NEW", "2026-01-01T00:00:00.000Z", items);
        }

        private void failIfAsked() {
            RuntimeException e = failure;
            if (e != null) {
                throw e;
            }
        }
    }
}
