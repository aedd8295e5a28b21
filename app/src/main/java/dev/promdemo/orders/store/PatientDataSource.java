/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.store;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.logging.Logger;

import javax.sql.DataSource;

/**
 * The pool's source of new connections, which keeps trying for a while when the database refuses them.
 *
 * <p>HikariCP opens connections on one background thread and, after each failed attempt, sleeps with a backoff that
 * doubles up to 5 s. After an outage of more than a few seconds, the database's return is then noticed up to 5 s
 * late, and every request in that time fails. This source instead retries a refused connection every
 * {@code interval} for up to {@code patience} before it reports the failure, so the pool notices the database within
 * one interval. Only connection failures (SQLSTATE class 08) are retried: a wrong password fails at once. Requests
 * never wait here; they wait for the pool, bounded by its connection timeout.
 */
final class PatientDataSource implements DataSource {
    private static final Logger LOGGER = Logger.getLogger(PatientDataSource.class.getName());

    private final DataSource delegate;
    private final Duration patience;
    private final Duration interval;

    PatientDataSource(DataSource delegate, Duration patience, Duration interval) {
        this.delegate = delegate;
        this.patience = patience;
        this.interval = interval;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return patiently(delegate::getConnection);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return patiently(() -> delegate.getConnection(username, password));
    }

    private Connection patiently(Opener opener) throws SQLException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try {
                return opener.open();
            } catch (SQLException e) {
                String state = e.getSQLState();
                if (state == null || !state.startsWith("08") || System.nanoTime() + interval.toNanos() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException interrupted) {
                    // The pool is shutting down.
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return LOGGER;
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        return type.isInstance(this) ? type.cast(this) : delegate.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || delegate.isWrapperFor(type);
    }

    @FunctionalInterface
    private interface Opener {
        Connection open() throws SQLException;
    }
}
