/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The order API end to end over HTTP on loopback, against a real MariaDB (or the server named by
 * {@code ORDER_API_TEST_DB_URL}).
 */
class OrderApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VALID_ITEM = "{\"product_id\":3,\"quantity\":1,\"unit_price\":1.00}";
    private static TestStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStack.start(Map.of());
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void existingOrderIsReturnedWithItsItems() throws Exception {
        HttpResponse<String> response = stack.get(stack.api("/api/order/42"));
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
        JsonNode order = JSON.readTree(response.body());
        assertEquals(42, order.get("order_id").asLong());
        for (String field : List.of("customer_id", "total_amount", "status", "created_at", "items")) {
            assertNotNull(order.get(field), field);
        }
        BigDecimal sum = BigDecimal.ZERO;
        for (JsonNode item : order.get("items")) {
            for (String field : List.of("item_id", "product_id", "quantity", "unit_price")) {
                assertNotNull(item.get(field), field);
            }
            sum = sum.add(item.get("unit_price").decimalValue().multiply(item.get("quantity").decimalValue()));
        }
        assertTrue(order.get("items").size() >= 1 && order.get("items").size() <= 5);
        assertEquals(0, sum.compareTo(order.get("total_amount").decimalValue()), "seeded total matches its items");
    }

    @Test
    void unknownOrderReturns404() throws Exception {
        HttpResponse<String> response = stack.get(stack.api("/api/order/999999999"));
        assertProblem(response, 404, "/problems/not-found", null);
    }

    @ParameterizedTest
    @MethodSource("dev.promdemo.orders.http.BadRequests#invalidOrderIds")
    void invalidOrderIdsReturn400(String id) throws Exception {
        assertProblem(stack.get(stack.api("/api/order/" + id)), 400, "/problems/invalid-id", "id");
    }

    @Test
    void createdOrderIsReturnedStoredAndReadable() throws Exception {
        String body = """
                {"customer_id": 7, "items": [
                  {"product_id": 11, "quantity": 3, "unit_price": 0.10},
                  {"product_id": 12, "quantity": 1, "unit_price": 19.99},
                  {"product_id": 13, "quantity": 1000, "unit_price": 0.01}]}""";
        HttpResponse<String> response = stack.postJson(body);
        assertEquals(201, response.statusCode(), response.body());
        JsonNode created = JSON.readTree(response.body());
        long id = created.get("order_id").asLong();
        assertEquals("/api/order/" + id, response.headers().firstValue("Location").orElseThrow());
        assertEquals("NEW", created.get("status").asText());
        assertEquals(7, created.get("customer_id").asLong());
        // 3 x 0.10 + 19.99 + 1000 x 0.01, exactly (a double sum would give 30.289999...).
        assertEquals("30.29", created.get("total_amount").decimalValue().toPlainString());
        assertEquals(3, created.get("items").size());

        JsonNode read = JSON.readTree(stack.get(stack.api("/api/order/" + id)).body());
        assertEquals(created, read, "GET returns exactly what POST returned");

        try (Connection c = stack.jdbc();
             PreparedStatement s = c.prepareStatement(
                     "SELECT o.total_amount, COUNT(i.item_id), SUM(i.quantity * i.unit_price) "
                             + "FROM orders o JOIN order_items i ON i.order_id = o.order_id WHERE o.order_id = ? "
                             + "GROUP BY o.total_amount")) {
            s.setLong(1, id);
            try (ResultSet rs = s.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(new BigDecimal("30.29"), rs.getBigDecimal(1));
                assertEquals(3, rs.getInt(2));
                assertEquals(0, new BigDecimal("30.29").compareTo(rs.getBigDecimal(3)));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.promdemo.orders.http.BadRequests#hostileOrders")
    void badInputGetsAProblemAndWritesNothing(String body, int status, String type, String field) throws Exception {
        long orders = stack.count("SELECT COUNT(*) FROM orders");
        long items = stack.count("SELECT COUNT(*) FROM order_items");
        assertProblem(stack.postJson(body), status, type, field);
        assertEquals(orders, stack.count("SELECT COUNT(*) FROM orders"), "no order written");
        assertEquals(items, stack.count("SELECT COUNT(*) FROM order_items"), "no item written");
    }

    @ParameterizedTest
    @MethodSource("dev.promdemo.orders.http.BadRequests#wrongContentTypes")
    void wrongContentTypeReturns415(String contentType) throws Exception {
        long orders = stack.count("SELECT COUNT(*) FROM orders");
        String body = "{\"customer_id\":7,\"items\":[" + VALID_ITEM + "]}";
        assertProblem(stack.post("/api/order", contentType, body), 415, "/problems/unsupported-media-type", null);
        assertEquals(orders, stack.count("SELECT COUNT(*) FROM orders"));
    }

    @Test
    void missingContentTypeReturns415() throws Exception {
        assertProblem(stack.post("/api/order", null, "{}"), 415, "/problems/unsupported-media-type", null);
    }

    @Test
    void oversizedBodyReturns413() throws Exception {
        long orders = stack.count("SELECT COUNT(*) FROM orders");
        String padding = " ".repeat(20_000);
        String body = "{\"customer_id\":7," + padding + "\"items\":[" + VALID_ITEM + "]}";
        assertProblem(stack.postJson(body), 413, "/problems/body-too-large", null);
        assertEquals(orders, stack.count("SELECT COUNT(*) FROM orders"));
    }

    @Test
    void orderAndItemsAreWrittenAtomically() throws Exception {
        // A trigger makes the database itself fail the third item's row, in the middle of the transaction.
        stack.execute("""
                CREATE TRIGGER fail_poisoned_item BEFORE INSERT ON order_items FOR EACH ROW
                BEGIN
                  IF NEW.product_id = 424242 THEN
                    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poisoned item';
                  END IF;
                END""");
        try {
            long orders = stack.count("SELECT COUNT(*) FROM orders");
            long items = stack.count("SELECT COUNT(*) FROM order_items");
            String body = "{\"customer_id\":9,\"items\":[" + VALID_ITEM + "," + VALID_ITEM
                    + ",{\"product_id\":424242,\"quantity\":1,\"unit_price\":2.00}]}";
            HttpResponse<String> response = stack.postJson(body);
            assertEquals(500, response.statusCode(), response.body());
            assertEquals(orders, stack.count("SELECT COUNT(*) FROM orders"), "the order row was rolled back");
            assertEquals(items, stack.count("SELECT COUNT(*) FROM order_items"), "no item remains");
        } finally {
            stack.execute("DROP TRIGGER fail_poisoned_item");
        }
    }

    @Test
    void anOrderIsTwoInsertsAndACommitInOneTransaction() throws Exception {
        // The database's own statement counters, read on one connection opened beforehand (opening one runs
        // statements of its own). Writing an order must not spend round trips on switching autocommit: the write
        // pool's connections are already in a transaction.
        try (Connection c = stack.jdbc()) {
            Map<String, Long> before = statementCounts(c);
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> response = stack.postJson("{\"customer_id\":" + (11 + i) + ",\"items\":["
                        + VALID_ITEM + "," + VALID_ITEM + "]}");
                assertEquals(201, response.statusCode(), response.body());
                ids.add(JSON.readTree(response.body()).get("order_id").asLong());
            }
            Map<String, Long> after = statementCounts(c);
            assertEquals(10, after.get("Com_insert") - before.get("Com_insert"),
                         "an INSERT of the order, one of items");
            assertEquals(5, after.get("Com_commit") - before.get("Com_commit"), "one COMMIT per order");
            assertEquals(0, after.get("Com_set_option") - before.get("Com_set_option"), "no SET autocommit");
            assertEquals(0, after.get("Com_rollback") - before.get("Com_rollback"), "nothing rolled back");
            // Committed: another session sees every order with both its items.
            String in = String.join(",", ids.stream().map(String::valueOf).toList());
            assertEquals(10, stack.count("SELECT COUNT(*) FROM order_items WHERE order_id IN (" + in + ")"));
        }
    }

    private static Map<String, Long> statementCounts(Connection c) throws Exception {
        Map<String, Long> counts = new HashMap<>();
        try (PreparedStatement show = c.prepareStatement("SHOW GLOBAL STATUS WHERE Variable_name IN "
                + "('Com_insert', 'Com_commit', 'Com_set_option', 'Com_rollback')");
             ResultSet rows = show.executeQuery()) {
            while (rows.next()) {
                counts.put(rows.getString(1), rows.getLong(2));
            }
        }
        assertEquals(4, counts.size(), "status counters " + counts);
        return counts;
    }

    @Test
    void concurrentWritesAreAllStoredWithCorrectTotals() throws Exception {
        long before = stack.count("SELECT COUNT(*) FROM orders");
        int writes = 200;
        // 32 clients in flight against the 8-connection write pool. A client that gets 503 (pool wait over the
        // timeout on a loaded machine) retries after Retry-After, as a well-behaved client does; a 503 must have
        // written nothing, or the count below would exceed the number of accepted orders.
        Semaphore inFlight = new Semaphore(32);
        AtomicInteger retries = new AtomicInteger();
        List<Callable<HttpResponse<String>>> tasks = new ArrayList<>();
        for (int i = 0; i < writes; i++) {
            int n = i;
            String body = "{\"customer_id\":" + (1 + n % 50) + ",\"items\":["
                    + "{\"product_id\":" + (n + 1) + ",\"quantity\":" + (1 + n % 7) + ",\"unit_price\":" + n + ".25},"
                    + "{\"product_id\":5,\"quantity\":2,\"unit_price\":0.05}]}";
            tasks.add(() -> {
                inFlight.acquire();
                try {
                    HttpResponse<String> response = stack.postJson(body);
                    for (int attempt = 1; attempt < 5 && response.statusCode() == 503; attempt++) {
                        retries.incrementAndGet();
                        Thread.sleep(1000);
                        response = stack.postJson(body);
                    }
                    return response;
                } finally {
                    inFlight.release();
                }
            });
        }
        List<Long> ids = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<HttpResponse<String>> result : pool.invokeAll(tasks)) {
                HttpResponse<String> response = result.get();
                assertEquals(201, response.statusCode(), response.body());
                ids.add(JSON.readTree(response.body()).get("order_id").asLong());
            }
        }
        assertTrue(retries.get() < writes / 4, "too many 503s to call this working: " + retries.get());
        assertEquals(writes, ids.stream().distinct().count(), "every order got its own id");
        assertEquals(before + writes, stack.count("SELECT COUNT(*) FROM orders"), "exactly the accepted orders");
        String in = String.join(",", ids.stream().map(String::valueOf).toList());
        assertEquals(2L * writes, stack.count("SELECT COUNT(*) FROM order_items WHERE order_id IN (" + in + ")"));
        assertEquals(0, stack.count("SELECT COUNT(*) FROM orders o WHERE o.order_id IN (" + in + ") AND "
                + "o.total_amount <> (SELECT SUM(i.quantity * i.unit_price) FROM order_items i "
                + "WHERE i.order_id = o.order_id)"), "every stored total equals the sum of its items");
    }

    @Test
    void metricsAndHealthAreOnlyOnTheAdminSocket() throws Exception {
        assertEquals(404, stack.get(stack.api("/metrics")).statusCode());
        assertEquals(404, stack.get(stack.api("/health")).statusCode());
        assertEquals(404, stack.get(stack.admin("/api/order/1")).statusCode());
        assertEquals(200, stack.get(stack.admin("/health/live")).statusCode());
        HttpResponse<String> ready = stack.get(stack.admin("/health/ready"));
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("\"database\""), ready.body());
    }

    @Test
    void metricsExposeRouteTemplatesHistogramsAndMovingCounters() throws Exception {
        String before = stack.get(stack.admin("/metrics")).body();
        double ordersBefore = sample(before, "orders_placed_total", "");
        double itemsBefore = sample(before, "order_items_placed_total", "");
        for (int i = 1; i <= 20; i++) {
            assertEquals(200, stack.get(stack.api("/api/order/" + (1000 + i))).statusCode());
        }
        assertEquals(201, stack.postJson("{\"customer_id\":3,\"items\":[" + VALID_ITEM + "," + VALID_ITEM
                + "]}").statusCode());

        HttpResponse<String> response = stack.get(stack.admin("/metrics"));
        assertEquals(200, response.statusCode());
        String text = response.body();
        assertTrue(text.contains("# TYPE http_server_requests_seconds histogram"), "request histogram");
        assertTrue(text.contains("# TYPE db_query_duration_seconds histogram"), "statement histogram");
        assertTrue(text.contains("# TYPE orders_placed_total counter"));
        assertTrue(sample(text, "http_server_requests_seconds_bucket",
                          "method=\"GET\",route=\"/api/order/\\{id\\}\",.*status=\"200\",le=\"0.1\"") >= 20);
        assertTrue(sample(text, "http_server_requests_seconds_count",
                          "method=\"POST\",route=\"/api/order\",.*status=\"201\"") >= 1);
        assertEquals(ordersBefore + 1, sample(text, "orders_placed_total", ""));
        assertEquals(itemsBefore + 2, sample(text, "order_items_placed_total", ""));
        assertTrue(sample(text, "db_query_duration_seconds_count", "statement=\"select-order\"") >= 20);
        assertEquals(16, sample(text, "db_pool_max_connections", "pool=\"orders\""));
        assertEquals(8, sample(text, "db_pool_max_connections", "pool=\"orders-writes\""));
        for (String state : List.of("active", "idle", "pending")) {
            assertTrue(text.contains("state=\"" + state + "\""), "pool state " + state);
        }
        for (String name : List.of("process_cpu_seconds_total", "process_open_fds", "process_resident_memory_bytes",
                                   "memory_usedHeap_bytes", "gc_total", "thread_count")) {
            assertTrue(Pattern.compile("(?m)^" + name + "[{ ]").matcher(text).find(), name);
        }
        Matcher route = Pattern.compile("route=\"([^\"]*)\"").matcher(text);
        while (route.find()) {
            assertFalse(route.group(1).matches(".*\\d.*"), "raw id in a route label: " + route.group(1));
        }
        for (String line : text.split("\n")) {
            assertFalse(line.startsWith("http_server_requests_seconds{"), "no client-side quantiles: " + line);
        }
    }

    @Test
    void p95FromTheHistogramMatchesWhatTheClientSaw() throws Exception {
        String route = "method=\"GET\",route=\"/api/order/\\{id\\}\",.*status=\"200\"";
        double[] before = buckets(stack.get(stack.admin("/metrics")).body(), route);
        long[] client = new long[400];
        for (int i = 0; i < client.length; i++) {
            long start = System.nanoTime();
            assertEquals(200, stack.get(stack.api("/api/order/" + (5000 + i))).statusCode());
            client[i] = System.nanoTime() - start;
        }
        // The server records a request just after writing its response, so a scrape can overtake the last one.
        double[] delta = new double[before.length];
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        do {
            double[] after = buckets(stack.get(stack.admin("/metrics")).body(), route);
            for (int i = 0; i < after.length; i++) {
                delta[i] = after[i] - before[i];
            }
        } while (delta[delta.length - 1] < client.length && System.nanoTime() < deadline);
        assertEquals(client.length, delta[delta.length - 1], 0.0, "every request counted once");
        double serverP95 = histogramQuantile(0.95, BOUNDS, delta);
        Arrays.sort(client);
        double clientP95 = client[(int) Math.ceil(0.95 * client.length) - 1] / 1e9;
        // The server's time is part of the client's, and the client adds little on loopback: the two p95s land in
        // the same or an adjacent bucket, or (where the low buckets are narrow) within 5 ms of each other.
        int serverBucket = bucketOf(serverP95);
        int clientBucket = bucketOf(clientP95);
        assertTrue(Math.abs(serverBucket - clientBucket) <= 1 || Math.abs(serverP95 - clientP95) <= 0.005,
                   "server p95 " + serverP95 + " s vs client p95 " + clientP95 + " s");
    }

    private static final double[] BOUNDS = {0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0,
        Double.POSITIVE_INFINITY};

    private static int bucketOf(double seconds) {
        for (int i = 0; i < BOUNDS.length; i++) {
            if (seconds <= BOUNDS[i]) {
                return i;
            }
        }
        return BOUNDS.length - 1;
    }

    /** Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank. */
    private static double histogramQuantile(double q, double[] bounds, double[] cumulative) {
        double rank = q * cumulative[cumulative.length - 1];
        for (int i = 0; i < bounds.length; i++) {
            if (cumulative[i] >= rank) {
                double lower = i == 0 ? 0 : bounds[i - 1];
                double below = i == 0 ? 0 : cumulative[i - 1];
                if (Double.isInfinite(bounds[i])) {
                    return lower;
                }
                return lower + (bounds[i] - lower) * (rank - below) / (cumulative[i] - below);
            }
        }
        return Double.NaN;
    }

    private static double[] buckets(String text, String labels) {
        double[] values = new double[BOUNDS.length];
        for (int i = 0; i < BOUNDS.length; i++) {
            String le = Double.isInfinite(BOUNDS[i]) ? "\\+Inf" : String.valueOf(BOUNDS[i]);
            values[i] = sampleOrZero(text, "http_server_requests_seconds_bucket", labels + ",le=\"" + le + "\"");
        }
        return values;
    }

    private static double sample(String text, String name, String labelPattern) {
        double value = sampleOrZero(text, name, labelPattern);
        assertTrue(Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*" + labelPattern).matcher(text).find()
                           || labelPattern.isEmpty() && text.contains(name),
                   "no sample " + name + "{" + labelPattern + "}");
        return value;
    }

    private static double sampleOrZero(String text, String name, String labelPattern) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*" + labelPattern + "[^}]*} (\\S+)$")
                .matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void responsesFollowTheOpenApiDocumentServedOnTheAdminPort() throws Exception {
        HttpResponse<String> served = stack.get(stack.admin("/openapi?format=JSON"));
        assertEquals(200, served.statusCode(), served.body());
        assertTrue(JSON.readTree(served.body()).get("openapi").asText().startsWith("3.1."), "OpenAPI 3.1");
        assertEquals(404, stack.get(stack.api("/openapi")).statusCode(), "the document is not on the API port");
        OpenApiDocument api = new OpenApiDocument(served.body());
        // The check can fail: a body that breaks the schema is reported.
        assertFalse(api.violations("Order", JSON.readTree("{\"order_id\":\"1\"}")).isEmpty());

        HttpResponse<String> created = stack.postJson("{\"customer_id\":7,\"items\":[" + VALID_ITEM
                + ",{\"product_id\":4,\"quantity\":3,\"unit_price\":19.99}]}");
        assertEquals(201, created.statusCode(), created.body());
        assertConforms(api, "Order", created);
        assertConforms(api, "Order", stack.get(stack.api(created.headers().firstValue("Location").orElseThrow())));
        assertConforms(api, "Order", stack.get(stack.api("/api/order/1")));
        for (HttpResponse<String> problem : List.of(
                stack.get(stack.api("/api/order/abc")),
                stack.get(stack.api("/api/order/999999999")),
                stack.get(stack.api("/api/nothing")),
                stack.postJson("{\"customer_id\":7}"),
                stack.postJson("{\"customer_id\":987654321,\"items\":[" + VALID_ITEM + "]}"),
                stack.postJson("{"),
                stack.post("/api/order", "text/plain", "{}"),
                stack.postJson("{\"customer_id\":7," + " ".repeat(20_000) + "\"items\":[]}"))) {
            assertTrue(problem.statusCode() >= 400, problem.body());
            assertConforms(api, "Problem", problem);
        }
    }

    private static void assertConforms(OpenApiDocument api, String schema, HttpResponse<String> response)
            throws Exception {
        assertEquals(Set.of(), api.violations(schema, JSON.readTree(response.body())),
                     response.statusCode() + " " + response.body());
    }

    private static void assertProblem(HttpResponse<String> response, int status, String type, String field)
            throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        JsonNode problem = JSON.readTree(response.body());
        assertEquals(type, problem.get("type").asText(), response.body());
        assertEquals(status, problem.get("status").asInt());
        assertFalse(problem.get("title").asText().isBlank());
        assertFalse(problem.get("detail").asText().isBlank());
        if (field != null) {
            assertEquals(field, problem.get("field").asText(), response.body());
        }
    }
}
