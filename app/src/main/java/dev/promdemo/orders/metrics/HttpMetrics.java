/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.metrics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;

/**
 * Times every API request into {@code http_server_requests_seconds{method,route,status}}, a histogram with explicit
 * buckets, and counts the orders and items written.
 *
 * <p>The route label is the template a handler declared ({@link #route(ServerRequest, String)}), never the raw
 * path, so ids cannot explode the label set; requests no handler took are labelled {@code unmatched}.
 */
public final class HttpMetrics implements io.helidon.webserver.http.Filter {
    /** The route label of requests no handler took. */
    public static final String UNMATCHED = "unmatched";

    /*
     * Bucket edges for a 1 ms to 1 s API, with edges exactly at the demo's thresholds (100 ms for normal load,
     * 300 ms for read-heavy) so histogram_quantile() interpolates inside a bucket that brackets them.
     */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(200),
        Duration.ofMillis(300), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
        Duration.ofSeconds(5)
    };

    private final MeterRegistry registry;
    private final ConcurrentHashMap<Key, Timer> timers = new ConcurrentHashMap<>();
    private final Counter ordersPlaced;
    private final Counter itemsPlaced;

    /**
     * @param registry where the timers and counters go
     */
    public HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.ordersPlaced = registry.getOrCreate(Counter.builder("orders.placed")
                                                         .description("Orders written by POST /api/order"));
        this.itemsPlaced = registry.getOrCreate(Counter.builder("order.items.placed")
                                                        .description("Order items written by POST /api/order"));
    }

    /**
     * Declares the route template of the request being handled.
     *
     * @param request the request
     * @param template its route template, such as {@code /api/order/{id}}
     */
    public static void route(ServerRequest request, String template) {
        request.context().register(new Route(template));
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long start = System.nanoTime();
        try {
            chain.proceed();
        } finally {
            String route = req.context().get(Route.class).map(Route::template).orElse(UNMATCHED);
            record(req.prologue().method().text(), route, res.status().code(), System.nanoTime() - start);
        }
    }

    /**
     * Records one request.
     *
     * @param method the HTTP method
     * @param route the route template
     * @param status the response status
     * @param nanos how long it took
     */
    public void record(String method, String route, int status, long nanos) {
        timers.computeIfAbsent(new Key(method, route, status), this::timer).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Counts one order written and its items.
     *
     * @param items how many items it had
     */
    public void orderPlaced(int items) {
        ordersPlaced.increment();
        itemsPlaced.increment(items);
    }

    private Timer timer(Key key) {
        return registry.getOrCreate(Timer.builder("http.server.requests")
                                            .description("API requests by method, route template and status")
                                            .tags(List.of(Tag.create("method", key.method()),
                                                          Tag.create("route", key.route()),
                                                          Tag.create("status", String.valueOf(key.status()))))
                                            // No client-side quantiles: they cannot be aggregated and they clash
                                            // with the histogram family in the exposition.
                                            .percentiles(new double[0])
                                            .buckets(BUCKETS));
    }

    private record Key(String method, String route, int status) {
    }

    private record Route(String template) {
    }
}
