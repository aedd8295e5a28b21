/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/**
 * Reads and writes orders. Every statement has a {@code verb-noun} name, which labels its duration histogram
 * ({@code db_query_duration_seconds{statement}}).
 *
 * <p>Writing an order is one transaction: the order row, then all its items in one multi-row INSERT. Any failure
 * rolls the whole transaction back, so no partial order can remain.
 */
final class OrderRepository {
    static final String SELECT_ORDER = "select-order";
    static final String INSERT_ORDER = "insert-order";
    static final String SELECT_ORDER_ID = "select-order-id";
    static final String INSERT_ORDER_ITEMS = "insert-order-items";

    private static final Duration[] BUCKETS = {
        Duration.ofNanos(250_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2)
    };
    private static final DateTimeFormatter CREATED_AT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");
    private static final String SQL_SELECT_ORDER = """
            SELECT o.order_id, o.customer_id, o.total_amount, o.status, o.created_at,
                   i.item_id, i.product_id, i.quantity, i.unit_price
            FROM orders o LEFT JOIN order_items i ON i.order_id = o.order_id
            WHERE o.order_id = ?
            ORDER BY i.item_id""";
    private static final String SQL_INSERT_ORDER =
            "INSERT INTO orders (customer_id, total_amount, status, created_at) VALUES (?, ?, ?, ?)";
    private static final String SQL_SELECT_ORDER_ID = "SELECT LAST_INSERT_ID() AS id";
    private static final String SQL_INSERT_ITEMS_PREFIX =
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES ";

    private final DbClient db;
    private final Map<String, Timer> timers;

    OrderRepository(DbClient db, MeterRegistry registry) {
        this.db = db;
        this.timers = Map.of(SELECT_ORDER, timer(registry, SELECT_ORDER),
                             INSERT_ORDER, timer(registry, INSERT_ORDER),
                             SELECT_ORDER_ID, timer(registry, SELECT_ORDER_ID),
                             INSERT_ORDER_ITEMS, timer(registry, INSERT_ORDER_ITEMS));
    }

    /**
     * Finds an order with its items.
     *
     * @param orderId the order's id
     * @return the order, or empty if there is none
     */
    Optional<Order> find(long orderId) {
        return timed(SELECT_ORDER, () -> {
            try (Stream<DbRow> rows = db.execute().createNamedQuery(SELECT_ORDER, SQL_SELECT_ORDER)
                    .addParam(orderId).execute()) {
                return toOrder(rows.toList());
            }
        });
    }

    /**
     * Writes a new order and all its items in one transaction.
     *
     * @param order the validated order
     * @return the order as stored
     * @throws ApiProblem for an unknown customer or an unavailable database
     */
    Order create(NewOrder order) {
        Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        BigDecimal total = order.total();
        DbTransaction tx = db.transaction();
        try {
            timed(INSERT_ORDER, () -> tx.createNamedInsert(INSERT_ORDER, SQL_INSERT_ORDER)
                    .params(order.customerId(), total, "NEW",
                             Timestamp.valueOf(LocalDateTime.ofInstant(createdAt, ZoneOffset.UTC)))
                    .execute());
            long orderId = lastInsertId(tx);
            List<NewOrder.Line> lines = order.items();
            List<Object> params = new ArrayList<>(lines.size() * 4);
            StringBuilder sql = new StringBuilder(SQL_INSERT_ITEMS_PREFIX);
            for (int i = 0; i < lines.size(); i++) {
                NewOrder.Line line = lines.get(i);
                sql.append(i == 0 ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)");
                params.add(orderId);
                params.add(line.productId());
                params.add(line.quantity());
                params.add(line.unitPrice());
            }
            timed(INSERT_ORDER_ITEMS, () -> tx.createNamedInsert(INSERT_ORDER_ITEMS, sql.toString())
                    .params(params).execute());
            long firstItemId = lastInsertId(tx);
            tx.commit();
            // One multi-row INSERT of a known row count gets consecutive ids, and LAST_INSERT_ID() is the first
            // (MySQL and MariaDB document this for "simple inserts" in every auto-increment lock mode).
            List<Order.Item> items = new ArrayList<>(lines.size());
            for (int i = 0; i < lines.size(); i++) {
                NewOrder.Line line = lines.get(i);
                items.add(new Order.Item(firstItemId + i, line.productId(), line.quantity(), line.unitPrice()));
            }
            return new Order(orderId, order.customerId(), total, "NEW", CREATED_AT.format(
                    createdAt.atOffset(ZoneOffset.UTC)), items);
        } catch (RuntimeException e) {
            try {
                tx.rollback();
            } catch (RuntimeException rollbackFailure) {
                // Helidon closes the connection when a statement fails, which rolls back; this only adds noise.
                e.addSuppressed(rollbackFailure);
            }
            throw translate(e, order.customerId());
        }
    }

    private long lastInsertId(DbTransaction tx) {
        // LAST_INSERT_ID() is BIGINT UNSIGNED, which the driver maps to BigInteger.
        return timed(SELECT_ORDER_ID, () -> ((Number) tx.createNamedGet(SELECT_ORDER_ID, SQL_SELECT_ORDER_ID)
                .execute().orElseThrow().column("id").get()).longValue());
    }

    private <T> T timed(String statement, Supplier<T> work) {
        long start = System.nanoTime();
        try {
            return work.get();
        } finally {
            timers.get(statement).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private static Optional<Order> toOrder(List<DbRow> rows) {
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        DbRow first = rows.getFirst();
        List<Order.Item> items = new ArrayList<>(rows.size());
        for (DbRow row : rows) {
            Long itemId = row.column("item_id").get(Long.class);
            if (itemId != null) {
                items.add(new Order.Item(itemId, row.column("product_id").get(Long.class),
                                         row.column("quantity").get(Integer.class),
                                         row.column("unit_price").get(BigDecimal.class)));
            }
        }
        LocalDateTime created = first.column("created_at").get(LocalDateTime.class);
        return Optional.of(new Order(first.column("order_id").get(Long.class),
                                     first.column("customer_id").get(Long.class),
                                     first.column("total_amount").get(BigDecimal.class),
                                     first.column("status").get(String.class),
                                     CREATED_AT.format(created.atOffset(ZoneOffset.UTC)), items));
    }

    /**
     * Turns a database failure into what the client should see.
     *
     * @param e the failure
     * @param customerId the order's customer, for the unknown-customer case
     * @return the problem to answer with
     */
    static RuntimeException translate(RuntimeException e, long customerId) {
        if (e instanceof ApiProblem) {
            return e;
        }
        SQLException sql = sqlCause(e);
        if (sql == null) {
            return e;
        }
        // 1452: a foreign key refused the row; only the customer reference can do that for a validated order.
        if (sql.getErrorCode() == 1452) {
            return ApiProblem.unknownCustomer(customerId);
        }
        return unavailable(e);
    }

    /**
     * Returns a 503 problem when the failure means the database is unreachable, too slow or overloaded.
     *
     * @param e the failure
     * @return the 503 problem, or {@code e} itself
     */
    static RuntimeException unavailable(RuntimeException e) {
        SQLException sql = sqlCause(e);
        if (sql == null) {
            return e;
        }
        String state = sql.getSQLState() == null ? "" : sql.getSQLState();
        boolean unavailable = sql instanceof SQLTransientException
                // 08: connection errors; HY000 with these codes: lock wait timeout, deadlock, too many connections.
                || state.startsWith("08")
                || sql.getErrorCode() == 1205 || sql.getErrorCode() == 1213 || sql.getErrorCode() == 1040
                || hasCause(e, java.net.SocketTimeoutException.class)
                || hasCause(e, java.net.ConnectException.class);
        return unavailable ? ApiProblem.databaseUnavailable("the database is unavailable or too slow; retry later")
                : e;
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static Timer timer(MeterRegistry registry, String statement) {
        return registry.getOrCreate(Timer.builder("db.query.duration")
                                            .description("Time to run one database statement, by statement name")
                                            .tags(List.of(Tag.create("statement", statement)))
                                            .percentiles(new double[0])
                                            .buckets(BUCKETS));
    }
}
