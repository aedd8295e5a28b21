/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.metrics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.helidon.dbclient.DbClientService;
import io.helidon.dbclient.DbClientServiceContext;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/**
 * Times every DbClient statement into {@code db_query_duration_seconds{statement}}, labelled with the statement's
 * name (its {@code verb-noun}, never its text, so the label set is bounded).
 *
 * <p>A DbClient service: DbClient calls it before each statement and completes the statement's future when the
 * statement is done (for a query, when its rows have been read and the stream closed), so a timing spans execution
 * and reading the result, as a client of the database sees it.
 */
public final class QueryMetrics implements DbClientService {
    private static final Duration[] BUCKETS = {
        Duration.ofNanos(250_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2)
    };

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    /**
     * @param registry where the timers go
     * @param statements the statement names to register up front, so their series exist before the first request
     */
    public QueryMetrics(MeterRegistry registry, List<String> statements) {
        this.registry = registry;
        statements.forEach(name -> timers.computeIfAbsent(name, this::timer));
    }

    @Override
    public DbClientServiceContext statement(DbClientServiceContext context) {
        long start = System.nanoTime();
        Timer timer = timers.computeIfAbsent(context.statementName(), this::timer);
        context.statementFuture().whenComplete((ignored, failure) -> timer.record(System.nanoTime() - start,
                                                                                  TimeUnit.NANOSECONDS));
        return context;
    }

    private Timer timer(String statement) {
        return registry.getOrCreate(Timer.builder("db.query.duration")
                                            .description("Time to run one database statement, by statement name")
                                            .tags(List.of(Tag.create("statement", statement)))
                                            .percentiles(new double[0])
                                            .buckets(BUCKETS));
    }
}
