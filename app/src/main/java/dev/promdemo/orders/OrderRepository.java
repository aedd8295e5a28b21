/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.SQLTransientException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.helidon.dbclient.DbClientException;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/**
 * Reads and writes orders. Every statement has a {@code verb-noun} name, which labels its duration histogram
 * ({@code db_query_duration_seconds{statement}}).
 *
 * <p>Both paths use JDBC. A read is one query, the order joined with its items, on a connection of the read pool,
 * which Helidon's DbClient also uses (for the readiness check). Writing an order is one transaction on a connection
 * of the write pool: the order row, then all its items in one multi-row INSERT, then the commit. Any failure rolls
 * the whole transaction back, so no partial order can remain.
 */
final class OrderRepository {
    static final String SELECT_ORDER = "select-order";
    static final String INSERT_ORDER = "insert-order";
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
            WHERE o.order_id = ?""";
    private static final Comparator<Order.Item> ITEM_ORDER = Comparator.comparingLong(Order.Item::itemId);
    private static final String SQL_INSERT_ORDER =
            "INSERT INTO orders (customer_id, total_amount, status, created_at) VALUES (?, ?, ?, ?)";
    private static final String SQL_INSERT_ITEMS_PREFIX =
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES ";

    private final ConnectionPool pool;
    private final ConnectionPool writePool;
    private final Map<String, Timer> timers;

    /**
     * @param pool the read pool (autocommit)
     * @param writePool the write pool (autocommit off)
     * @param registry where the statement timers go
     */
    OrderRepository(ConnectionPool pool, ConnectionPool writePool, MeterRegistry registry) {
        this.pool = pool;
        this.writePool = writePool;
        this.timers = Map.of(SELECT_ORDER, timer(registry, SELECT_ORDER),
                             INSERT_ORDER, timer(registry, INSERT_ORDER),
                             INSERT_ORDER_ITEMS, timer(registry, INSERT_ORDER_ITEMS));
    }

    /**
     * Finds an order with its items.
     *
     * <p>One query, the order joined with its items, on a pooled connection in plain JDBC. It ran on Helidon's
     * DbClient before; DbClient's per-row mapping (a map of lazily converted columns per row, and the statement and
     * stream wrappers around them) cost the API about a fifth of its CPU per GET (docs/benchmarks.md), for a query
     * whose nine columns are read here by position.
     *
     * @param orderId the order's id
     * @return the order, or empty if there is none
     * @throws DbClientException when the database fails; {@link #unavailable} says whether that is a 503
     */
    Optional<Order> find(long orderId) {
        try (Connection connection = pool.connection()) {
            return timedSql(SELECT_ORDER, () -> selectOrder(connection, orderId));
        } catch (SQLException e) {
            throw new DbClientException("reading order " + orderId + " failed", e);
        }
    }

    private static Optional<Order> selectOrder(Connection connection, long orderId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(SQL_SELECT_ORDER)) {
            select.setLong(1, orderId);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                long id = rows.getLong(1);
                long customerId = rows.getLong(2);
                BigDecimal total = rows.getBigDecimal(3);
                String status = rows.getString(4);
                LocalDateTime created = rows.getObject(5, LocalDateTime.class);
                List<Order.Item> items = new ArrayList<>();
                do {
                    // LEFT JOIN: an order without items has one row whose item columns are NULL.
                    long itemId = rows.getLong(6);
                    if (!rows.wasNull()) {
                        items.add(new Order.Item(itemId, rows.getLong(7), rows.getInt(8), rows.getBigDecimal(9)));
                    }
                } while (rows.next());
                // Items are sorted here, not by the query: an ORDER BY on the joined table made MariaDB build a
                // temporary table and filesort it for every read (EXPLAIN: "Using temporary; Using filesort"). The
                // index walk on (order_id, item_id) normally returns them in order already, so this seldom moves
                // anything.
                items.sort(ITEM_ORDER);
                return Optional.of(new Order(id, customerId, total, status,
                                             CREATED_AT.format(created.atOffset(ZoneOffset.UTC)), items));
            }
        }
    }

    /**
     * Writes a new order and all its items in one transaction.
     *
     * <p>This path uses JDBC rather than DbClient's statements: Helidon 4.1.7's DML returns no generated keys, which
     * would cost two extra round trips ({@code SELECT LAST_INSERT_ID()}) per order, while the driver returns the keys
     * in the INSERT's own reply. Its connections come from the write pool, whose connections have autocommit off, so
     * a transaction is already open: three round trips per order, the two INSERTs and the COMMIT. On the read pool it
     * took four ({@code SET autocommit=0} first, and {@code SET autocommit=1} to commit); docs/benchmarks.md has the
     * before and after. The separate pool is also a bulkhead: writes cannot take every connection from the reads.
     *
     * @param order the validated order
     * @return the order as stored
     * @throws ApiProblem for an unknown customer or an unavailable database
     */
    Order create(NewOrder order) {
        Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        BigDecimal total = order.total();
        List<NewOrder.Line> lines = order.items();
        try (Connection connection = writePool.connection()) {
            try {
                long orderId = timedSql(INSERT_ORDER,
                                        () -> insertOrder(connection, order.customerId(), total, createdAt));
                long[] itemIds = timedSql(INSERT_ORDER_ITEMS, () -> insertItems(connection, orderId, lines));
                connection.commit();
                List<Order.Item> items = new ArrayList<>(lines.size());
                for (int i = 0; i < lines.size(); i++) {
                    NewOrder.Line line = lines.get(i);
                    items.add(new Order.Item(itemIds[i], line.productId(), line.quantity(), line.unitPrice()));
                }
                return new Order(orderId, order.customerId(), total, "NEW",
                                 CREATED_AT.format(createdAt.atOffset(ZoneOffset.UTC)), items);
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.rollback();
                } catch (SQLException rollbackFailure) {
                    // A broken connection cannot roll back, but the server discards its open transaction anyway; the
                    // pool drops the connection.
                    e.addSuppressed(rollbackFailure);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw translate(new DbClientException("writing an order failed", e), order.customerId());
        } catch (RuntimeException e) {
            throw translate(e, order.customerId());
        }
    }

    private static long insertOrder(Connection connection, long customerId, BigDecimal total, Instant createdAt)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(SQL_INSERT_ORDER,
                                                                    Statement.RETURN_GENERATED_KEYS)) {
            insert.setLong(1, customerId);
            insert.setBigDecimal(2, total);
            insert.setString(3, "NEW");
            insert.setTimestamp(4, Timestamp.valueOf(LocalDateTime.ofInstant(createdAt, ZoneOffset.UTC)));
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    private static long[] insertItems(Connection connection, long orderId, List<NewOrder.Line> lines)
            throws SQLException {
        StringBuilder sql = new StringBuilder(SQL_INSERT_ITEMS_PREFIX);
        for (int i = 0; i < lines.size(); i++) {
            sql.append(i == 0 ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)");
        }
        // One multi-row INSERT: one round trip for all items. Its generated keys come back in row order.
        try (PreparedStatement insert = connection.prepareStatement(sql.toString(), Statement.RETURN_GENERATED_KEYS)) {
            int p = 1;
            for (NewOrder.Line line : lines) {
                insert.setLong(p++, orderId);
                insert.setLong(p++, line.productId());
                insert.setInt(p++, line.quantity());
                insert.setBigDecimal(p++, line.unitPrice());
            }
            insert.executeUpdate();
            long[] ids = new long[lines.size()];
            try (ResultSet keys = insert.getGeneratedKeys()) {
                for (int i = 0; i < ids.length; i++) {
                    if (!keys.next()) {
                        throw new SQLException("the driver returned " + i + " keys for " + ids.length + " items");
                    }
                    ids[i] = keys.getLong(1);
                }
            }
            return ids;
        }
    }

    private <T> T timedSql(String statement, SqlWork<T> work) throws SQLException {
        long start = System.nanoTime();
        try {
            return work.run();
        } finally {
            timers.get(statement).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run() throws SQLException;
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
