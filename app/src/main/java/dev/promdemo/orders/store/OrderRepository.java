/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.store;

import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import dev.promdemo.orders.order.NewOrder;
import dev.promdemo.orders.order.Order;
import dev.promdemo.orders.order.OrderStore;
import dev.promdemo.orders.order.StoreUnavailableException;
import dev.promdemo.orders.order.UnknownCustomerException;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbResultDml;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbStatements;
import io.helidon.dbclient.DbTransaction;

/**
 * Reads and writes orders through Helidon DbClient. Every statement is named here, {@code verb-noun}; the names label
 * the statement timings ({@code db_query_duration_seconds{statement}}).
 *
 * <p>A read is one query, the order joined with its items, on the read pool's client. Writing an order is one DbClient
 * transaction on the write pool's client: the order row (its key comes back with the INSERT's reply), then all its
 * items in one multi-row INSERT, then the commit. Any failure rolls the whole transaction back, so no partial order
 * can remain. Database failures leave this class as the domain's exceptions, never as SQL ones.
 */
public final class OrderRepository implements OrderStore {
    /** Reads one order with its items. */
    public static final String SELECT_ORDER = "select-order";
    /** Inserts the order row. */
    public static final String INSERT_ORDER = "insert-order";
    /** Inserts all items of one order in one statement. */
    public static final String INSERT_ORDER_ITEMS = "insert-order-items";

    private static final DbStatements STATEMENTS = DbStatements.builder()
            .addStatement(SELECT_ORDER, """
                    SELECT o.order_id, o.customer_id, o.total_amount, o.status, o.created_at,
                           i.item_id, i.product_id, i.quantity, i.unit_price
                    FROM orders o LEFT JOIN order_items i ON i.order_id = o.order_id
                    WHERE o.order_id = ?""")
            .addStatement(INSERT_ORDER,
                          "INSERT INTO orders (customer_id, total_amount, status, created_at) VALUES (?, ?, ?, ?)")
            .build();
    /** The items INSERT has one row of placeholders per item; its text is built per item count, its name fixed. */
    private static final String INSERT_ORDER_ITEMS_PREFIX =
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES ";
    private static final DateTimeFormatter CREATED_AT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");
    private static final Comparator<Order.Item> ITEM_ORDER = Comparator.comparingLong(Order.Item::itemId);

    private final DbClient reads;
    private final DbClient writes;

    /**
     * @param reads the client over the read pool (autocommit)
     * @param writes the client over the write pool (autocommit off)
     */
    public OrderRepository(DbClient reads, DbClient writes) {
        this.reads = reads;
        this.writes = writes;
    }

    /**
     * The named statements, for the DbClient builders.
     *
     * @return the statements
     */
    public static DbStatements statements() {
        return STATEMENTS;
    }

    @Override
    public Optional<Order> find(long orderId) {
        try (Stream<DbRow> rows = reads.execute().createNamedQuery(SELECT_ORDER).addParam(orderId).execute()) {
            return toOrder(rows.iterator());
        } catch (RuntimeException e) {
            throw translate(e, -1);
        }
    }

    private static Optional<Order> toOrder(Iterator<DbRow> rows) {
        if (!rows.hasNext()) {
            return Optional.empty();
        }
        DbRow row = rows.next();
        // Columns by position, raw values as the driver returns them: DbClient's typed getters go through its
        // mapper registry, a cost per column per row that a fixed query does not need.
        long id = longAt(row, 1);
        long customerId = longAt(row, 2);
        BigDecimal total = (BigDecimal) row.column(3).get();
        String status = (String) row.column(4).get();
        Instant created = instant(row.column(5).get());
        List<Order.Item> items = new ArrayList<>();
        while (true) {
            // LEFT JOIN: an order without items has one row whose item columns are NULL.
            Object itemId = row.column(6).get();
            if (itemId != null) {
                items.add(new Order.Item(((Number) itemId).longValue(), longAt(row, 7),
                                         ((Number) row.column(8).get()).intValue(),
                                         (BigDecimal) row.column(9).get()));
            }
            if (!rows.hasNext()) {
                break;
            }
            row = rows.next();
        }
        // Items are sorted here, not by the query: an ORDER BY on the joined table made MariaDB build a temporary
        // table and filesort it for every read (EXPLAIN: "Using temporary; Using filesort"). The index walk on
        // (order_id, item_id) normally returns them in order already, so this seldom moves anything.
        items.sort(ITEM_ORDER);
        return Optional.of(new Order(id, customerId, total, status, CREATED_AT.format(created.atOffset(ZoneOffset.UTC)),
                                     items));
    }

    @Override
    public Order create(NewOrder order) {
        Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        BigDecimal total = order.total();
        List<NewOrder.Line> lines = order.items();
        DbTransaction tx = writes.transaction();
        try {
            long orderId = keys(tx.createNamedInsert(INSERT_ORDER)
                                        .addParam(order.customerId())
                                        .addParam(total)
                                        .addParam("NEW")
                                        .addParam(Timestamp.valueOf(LocalDateTime.ofInstant(createdAt,
                                                                                            ZoneOffset.UTC)))
                                        .returnGeneratedKeys()
                                        .insert(), 1)[0];
            // One multi-row INSERT: one round trip for all items. Its generated keys come back in row order.
            long[] itemIds = keys(tx.createNamedInsert(INSERT_ORDER_ITEMS, insertItemsSql(lines.size()))
                                          .params(itemParameters(orderId, lines))
                                          .returnGeneratedKeys()
                                          .insert(), lines.size());
            tx.commit();
            List<Order.Item> items = new ArrayList<>(lines.size());
            for (int i = 0; i < lines.size(); i++) {
                NewOrder.Line line = lines.get(i);
                items.add(new Order.Item(itemIds[i], line.productId(), line.quantity(), line.unitPrice()));
            }
            return new Order(orderId, order.customerId(), total, "NEW",
                             CREATED_AT.format(createdAt.atOffset(ZoneOffset.UTC)), items);
        } catch (RuntimeException e) {
            try {
                tx.rollback();
            } catch (RuntimeException rollbackFailure) {
                // DbClient closes the transaction's connection when a statement fails, and the pool rolls back
                // what was left uncommitted; a broken connection cannot roll back, but the server discards its
                // transaction anyway. Either way the rollback's own failure must not hide the cause.
                e.addSuppressed(rollbackFailure);
            }
            throw translate(e, order.customerId());
        }
    }

    private static String insertItemsSql(int rows) {
        StringBuilder sql = new StringBuilder(INSERT_ORDER_ITEMS_PREFIX.length() + rows * 14)
                .append(INSERT_ORDER_ITEMS_PREFIX);
        for (int i = 0; i < rows; i++) {
            sql.append(i == 0 ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)");
        }
        return sql.toString();
    }

    private static List<Object> itemParameters(long orderId, List<NewOrder.Line> lines) {
        List<Object> parameters = new ArrayList<>(lines.size() * 4);
        for (NewOrder.Line line : lines) {
            parameters.add(orderId);
            parameters.add(line.productId());
            parameters.add(line.quantity());
            parameters.add(line.unitPrice());
        }
        return parameters;
    }

    /**
     * Reads the generated keys of an INSERT; closing their stream releases the statement.
     */
    private static long[] keys(DbResultDml inserted, int expected) {
        long[] ids = new long[expected];
        try (Stream<DbRow> keys = inserted.generatedKeys()) {
            Iterator<DbRow> rows = keys.iterator();
            for (int i = 0; i < expected; i++) {
                if (!rows.hasNext()) {
                    throw new IllegalStateException("the driver returned " + i + " keys for " + expected + " rows");
                }
                ids[i] = longAt(rows.next(), 1);
            }
        }
        return ids;
    }

    private static long longAt(DbRow row, int column) {
        return ((Number) row.column(column).get()).longValue();
    }

    private static Instant instant(Object value) {
        // Connector/J returns DATETIME as LocalDateTime; other drivers (and older settings) give a Timestamp.
        LocalDateTime local = value instanceof Timestamp timestamp ? timestamp.toLocalDateTime() : (LocalDateTime) value;
        return local.toInstant(ZoneOffset.UTC);
    }

    /**
     * Turns a database failure into the domain's exception.
     *
     * @param e the failure
     * @param customerId the order's customer, for the unknown-customer case; negative for reads
     * @return the exception to throw: unknown customer, store unavailable, or {@code e} itself
     */
    static RuntimeException translate(RuntimeException e, long customerId) {
        SQLException sql = sqlCause(e);
        if (sql == null) {
            return e;
        }
        // 1452: a foreign key refused the row; only the customer reference can do that for a validated order.
        if (sql.getErrorCode() == 1452 && customerId > 0) {
            return new UnknownCustomerException(customerId);
        }
        String state = sql.getSQLState() == null ? "" : sql.getSQLState();
        boolean unavailable = sql instanceof SQLTransientException
                // 08: connection errors; HY000 with these codes: lock wait timeout, deadlock, too many connections.
                || state.startsWith("08")
                || sql.getErrorCode() == 1205 || sql.getErrorCode() == 1213 || sql.getErrorCode() == 1040
                || hasCause(e, SocketTimeoutException.class)
                || hasCause(e, ConnectException.class);
        return unavailable ? new StoreUnavailableException("the database is unavailable or too slow", e) : e;
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
}
