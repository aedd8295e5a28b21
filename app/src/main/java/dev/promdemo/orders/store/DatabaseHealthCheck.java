/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.store;

import java.sql.Connection;
import java.time.Duration;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;

/**
 * Readiness: the database answers a validation query within {@code db.health-timeout}.
 *
 * <p>It borrows a connection from the read pool, so it also says DOWN when the pool cannot hand one out in time
 * (database down, pool exhausted). Helidon's own check lives in helidon-dbclient-health, which is not published for
 * the Helidon version in use; this is the same check on the same pool.
 */
public final class DatabaseHealthCheck implements HealthCheck {
    private final ConnectionPool pool;
    private final int timeoutSeconds;

    /**
     * @param pool the pool whose connections are checked
     * @param timeout how long the check may take
     */
    public DatabaseHealthCheck(ConnectionPool pool, Duration timeout) {
        this.pool = pool;
        // Connection.isValid takes whole seconds; round up so a sub-second setting still bounds the check.
        this.timeoutSeconds = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
    }

    @Override
    public HealthCheckType type() {
        return HealthCheckType.READINESS;
    }

    @Override
    public String name() {
        return "database";
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponse.Builder response = HealthCheckResponse.builder().detail("pool", pool.name());
        try (Connection connection = pool.connection()) {
            return response.status(connection.isValid(timeoutSeconds)).build();
        } catch (Exception e) {
            return response.status(false).detail("error", String.valueOf(e.getMessage())).build();
        }
    }
}
