/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.fault;

import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CPU stress from inside the database: a few connections that each run a CPU-bound statement back to back for the
 * stage's length. It is the db-stress stage's stress where no program can run on the database host (RDS), and it
 * works against any MySQL-protocol server, the local one included.
 *
 * <p>The statement is {@code SELECT BENCHMARK(n, SHA2(RAND(), 256))}: pure computation in one server thread, no
 * table, no lock and no privilege beyond logging in, so the account can be one that may read nothing. Each
 * statement takes well under a second, so stopping never waits long; {@link #stop()} also cancels the running
 * statements (the driver sends {@code KILL QUERY}, which a user may do to its own sessions).
 */
final class SqlStress {
    private static final System.Logger LOGGER = System.getLogger(SqlStress.class.getName());
    /** What each connection runs; {@link #ROUNDS} SHA-256 digests take some hundreds of milliseconds. */
    static final String STATEMENT = "SELECT BENCHMARK(?, SHA2(RAND(), 256))";
    static final int ROUNDS = 500_000;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration RECONNECT_PAUSE = Duration.ofSeconds(1);

    private final DbStress.Sql sql;
    private final Instant deadline;
    private final List<Worker> workers = new ArrayList<>();
    private final AtomicLong statements = new AtomicLong();
    private volatile boolean stopped;

    private SqlStress(DbStress.Sql sql, Instant deadline) {
        this.sql = sql;
        this.deadline = deadline;
    }

    /**
     * Opens every connection, then starts the statements. A connection that cannot be opened fails the start and
     * closes the others, so a stage never runs with less stress than it asked for without saying so.
     *
     * @param sql where and how many
     * @param length how long to stress
     * @return the running stress
     * @throws SQLException if a connection cannot be opened
     */
    static SqlStress start(DbStress.Sql sql, Duration length) throws SQLException {
        SqlStress stress = new SqlStress(sql, Instant.now().plus(length));
        try {
            for (int i = 0; i < sql.connections(); i++) {
                stress.workers.add(stress.new Worker(i, stress.connect()));
            }
        } catch (SQLException e) {
            stress.stop();
            throw e;
        }
        for (Worker worker : stress.workers) {
            worker.thread = Thread.ofPlatform().daemon().name("sql-stress-" + worker.index).start(worker);
        }
        return stress;
    }

    private Connection connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", sql.user());
        if (sql.password() != null) {
            props.setProperty("password", sql.password());
        }
        props.setProperty("connectTimeout", Long.toString(CONNECT_TIMEOUT.toMillis()));
        return DriverManager.getConnection(sql.url(), props);
    }

    /**
     * How many statements have completed so far.
     *
     * @return the count
     */
    long statements() {
        return statements.get();
    }

    /**
     * Stops every connection: cancels its running statement, closes it and waits briefly for its thread.
     */
    void stop() {
        stopped = true;
        for (Worker worker : workers) {
            worker.cancel();
        }
        for (Worker worker : workers) {
            worker.close();
            if (worker.thread != null) {
                try {
                    worker.thread.join(Duration.ofSeconds(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private boolean running() {
        return !stopped && Instant.now().isBefore(deadline);
    }

    private final class Worker implements Runnable {
        private final int index;
        private volatile Connection connection;
        private volatile PreparedStatement statement;
        private Thread thread;

        Worker(int index, Connection connection) {
            this.index = index;
            this.connection = connection;
        }

        @Override
        public void run() {
            while (running()) {
                try {
                    if (connection == null) {
                        connection = connect();
                    }
                    if (statement == null) {
                        statement = connection.prepareStatement(STATEMENT);
                        statement.setInt(1, ROUNDS);
                    }
                    statement.executeQuery().close();
                    statements.incrementAndGet();
                } catch (SQLException e) {
                    if (!running()) {
                        break;
                    }
                    // The database went away (an outage, a restart): keep trying until the stage ends.
                    LOGGER.log(Level.WARNING, "sql stress connection " + index + " failed, reconnecting: "
                            + e.getMessage());
                    close();
                    try {
                        Thread.sleep(RECONNECT_PAUSE);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            close();
        }

        void cancel() {
            PreparedStatement s = statement;
            if (s != null) {
                try {
                    s.cancel();
                } catch (SQLException | RuntimeException e) {
                    // Its connection closed meanwhile (the statement ended with an error): nothing left to cancel.
                    LOGGER.log(Level.DEBUG, "could not cancel sql stress statement: " + e);
                }
            }
        }

        synchronized void close() {
            Connection c = connection;
            connection = null;
            statement = null;
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException e) {
                    LOGGER.log(Level.DEBUG, "could not close sql stress connection: " + e.getMessage());
                }
            }
        }
    }
}
