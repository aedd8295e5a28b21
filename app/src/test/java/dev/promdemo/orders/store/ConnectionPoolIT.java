/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import dev.promdemo.db.EmbeddedDatabase;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.dbclient.DbClientException;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After an outage long enough for HikariCP's reconnect backoff to reach its 5 s cap, the pool has a connection again
 * within about a second of the database answering (PatientDataSource), not up to 5 s later.
 */
class ConnectionPoolIT {
    private static final Duration RECOVERY = Duration.ofMillis(1500);

    @Test
    void poolReconnectsPromptlyAfterALongOutage() throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(EmbeddedDatabase.Options.forTests());
             ConnectionPool pool = ConnectionPool.create(config(db))) {
            try (Connection c = pool.connection()) {
                assertTrue(c.isValid(1));
            }
            db.stop();
            // Long enough for the backoff (10 ms doubling) to reach 5 s: the requests keep the pool trying.
            long outageEnd = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            int failures = 0;
            while (System.nanoTime() < outageEnd) {
                failures += ping(pool) ? 0 : 1;
                Thread.sleep(50);
            }
            assertTrue(failures > 0, "the database was away");
            db.restart();
            long back = System.nanoTime();
            Duration waited = null;
            while (waited == null) {
                if (ping(pool)) {
                    waited = Duration.ofNanos(System.nanoTime() - back);
                } else {
                    assertTrue(System.nanoTime() - back < Duration.ofSeconds(20).toNanos(), "no connection in 20 s");
                    Thread.sleep(20);
                }
            }
            assertTrue(waited.compareTo(RECOVERY) < 0, "a connection " + waited.toMillis() + " ms after the restart");
        }
    }

    /** A query on a pooled connection; a broken connection fails it, and the pool then replaces the connection. */
    private static boolean ping(ConnectionPool pool) {
        try (Connection c = pool.connection(); Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            return true;
        } catch (DbClientException | SQLException e) {
            return false;
        }
    }

    private static Config config(EmbeddedDatabase db) {
        EmbeddedDatabase.Options o = db.options();
        return Config.just(ConfigSources.create(Map.of("url", db.jdbcUrl(), "user", o.appUser(),
                                                       "password", o.appPassword(), "pool-size", "2")));
    }
}
