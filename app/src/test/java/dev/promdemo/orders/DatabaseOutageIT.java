/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Database faults: stopped, then back; and too slow. Requests must fail fast with 503, readiness must say DOWN, and
 * the service must recover by itself.
 */
class DatabaseOutageIT {
    private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(2);
    /** Slack for a loaded CI machine on top of the configured bounds. */
    private static final Duration SLACK = Duration.ofMillis(1500);
    /** A stopped database: the wait for a connection is bounded by the connection timeout. */
    private static final Duration FAIL_FAST = CONNECTION_TIMEOUT.plus(SLACK);
    /**
     * A slow database: InnoDB ends a lock wait after the statement timeout (its monitor checks about once a second),
     * and the socket timeout, one second after the statement timeout, is the backstop.
     */
    private static final Duration FAIL_SLOW = STATEMENT_TIMEOUT.plusSeconds(1).plus(SLACK);
    private static final String ORDER = "{\"customer_id\":7,\"items\":[{\"product_id\":1,\"quantity\":1,"
            + "\"unit_price\":2.50}]}";
    private static TestStack stack;

    @BeforeAll
    static void start() throws Exception {
        // Schema only, and the few rows the tests use: a small database restarts quickly on a loaded machine.
        stack = TestStack.start(Map.of("db.connection-timeout", CONNECTION_TIMEOUT.toString(),
                                       "db.statement-timeout", STATEMENT_TIMEOUT.toString()), false);
        stack.execute("INSERT IGNORE INTO customer (customer_id, name, email) VALUES "
                              + "(7, 'Customer 7', 'outage7@example.com'), (8, 'Customer 8', 'outage8@example.com')");
        for (int id = 1; id <= 40; id++) {
            stack.execute("INSERT IGNORE INTO orders (order_id, customer_id, total_amount, status) VALUES (" + id
                                  + ", 8, 2.50, 'NEW')");
            stack.execute("INSERT IGNORE INTO order_items (order_id, product_id, quantity, unit_price) VALUES (" + id
                                  + ", 1, 1, 2.50)");
        }
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void stoppedDatabaseGivesFast503sAndRecoversWithoutARestart() throws Exception {
        assumeFalse(TestStack.externalDatabase(), "stopping the database needs the embedded one");
        assertEquals(200, stack.get(stack.api("/api/order/1")).statusCode());

        stack.database().stop();
        try {
            List<Callable<Timed>> requests = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                requests.add(() -> timed(() -> n % 2 == 0 ? stack.get(stack.api("/api/order/" + (n + 1)))
                        : stack.postJson(ORDER)));
            }
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (Future<Timed> result : pool.invokeAll(requests)) {
                    Timed timed = result.get();
                    assertEquals(503, timed.response().statusCode(), timed.response().body());
                    assertTrue(timed.response().body().contains("/problems/database-unavailable"));
                    assertTrue(timed.elapsed().compareTo(FAIL_FAST) < 0, "took " + timed.elapsed());
                }
            }
            Timed ready = timed(() -> stack.get(stack.admin("/health/ready")));
            assertEquals(503, ready.response().statusCode(), ready.response().body());
            assertTrue(ready.response().body().contains("DOWN"), ready.response().body());
            assertTrue(ready.elapsed().compareTo(FAIL_FAST) < 0, "readiness took " + ready.elapsed());
            assertEquals(200, stack.get(stack.admin("/health/live")).statusCode(), "still alive");
        } finally {
            stack.database().restart();
        }

        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int status = 0;
        while (System.nanoTime() < deadline && status != 200) {
            status = stack.get(stack.api("/api/order/1")).statusCode();
            Thread.sleep(200);
        }
        assertEquals(200, status, "reads work again after the database returns");
        assertEquals(201, stack.postJson(ORDER).statusCode(), "writes work again");
        assertEquals(200, stack.get(stack.admin("/health/ready")).statusCode(), "ready again");
    }

    @Test
    void tooSlowDatabaseGivesA503WithinTheStatementTimeoutAndWritesNothing() throws Exception {
        long orders = stack.count("SELECT COUNT(*) FROM orders");
        // Holding customer 7's row lock makes the order insert's foreign-key check wait: a slow database.
        try (Connection blocker = stack.jdbc(); Statement s = blocker.createStatement()) {
            blocker.setAutoCommit(false);
            s.executeQuery("SELECT * FROM customer WHERE customer_id = 7 FOR UPDATE").close();
            Timed timed = timed(() -> stack.postJson(ORDER));
            assertEquals(503, timed.response().statusCode(), timed.response().body());
            assertTrue(timed.elapsed().compareTo(STATEMENT_TIMEOUT) >= 0, "waited for the statement timeout");
            assertTrue(timed.elapsed().compareTo(FAIL_SLOW) < 0, "took " + timed.elapsed());
            blocker.rollback();
        }
        assertEquals(orders, stack.count("SELECT COUNT(*) FROM orders"), "the timed-out order was not written");
        assertEquals(201, stack.postJson(ORDER).statusCode(), "the next write succeeds");
    }

    private static Timed timed(Callable<HttpResponse<String>> request) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = request.call();
        return new Timed(response, Duration.ofNanos(System.nanoTime() - start));
    }

    private record Timed(HttpResponse<String> response, Duration elapsed) {
    }
}
