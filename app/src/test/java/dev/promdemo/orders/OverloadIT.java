/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import dev.promdemo.orders.http.ProblemResponses;
import dev.promdemo.orders.metrics.HttpMetrics;
import dev.promdemo.orders.order.NewOrder;
import dev.promdemo.orders.order.Order;
import dev.promdemo.orders.order.OrderStore;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.metrics.api.Metrics;
import io.helidon.webserver.WebServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Graceful overload: at three times the sustainable rate for 30 s the API stays up, answers every request (served,
 * or shed with 503 and {@code Retry-After}), keeps serving at capacity, and serves everything again within 10 s
 * after. With {@code -Doverload.timing=true} it also asserts the timing bounds: every answer within 1 s, a served
 * p99 under 100 ms, and normal latency back within 10 s; it prints the figures either way.
 *
 * <p>The server is the real one (application.yaml's {@code server} section, its AIMD concurrency limit, its routing
 * and problem responses) over real HTTP on loopback. Its store stands in for a database of known capacity: 2
 * requests at a time, 10 ms each, so 200 requests per second, with the limit's sizes scaled to it. That makes "three
 * times the sustainable rate" exact and reachable by a client in this JVM on a 2-core machine, which the real
 * database's capacity (thousands of requests per second) is not; and it needs nothing of the load generator.
 * Load is an open model: request k is due at start + k / rate, and its latency counts from then, so a stalled
 * server cannot slow the arrivals down.
 */
class OverloadIT {
    private static final int STORE_PARALLELISM = 2;
    private static final Duration STORE_SERVICE_TIME = Duration.ofMillis(10);
    private static final double SUSTAINABLE_RATE = STORE_PARALLELISM * 1000.0 / STORE_SERVICE_TIME.toMillis();

    /*
     * The limit's sizes scaled to the store, which works on 2 requests at a time where the database works on 24 (the
     * two pools): at least twice that in flight, up to 16 times, and a queue as long as the floor. The algorithm, its
     * timeouts (25 ms for a request, 50 ms in the queue) and the rest of the server's configuration are
     * application.yaml's.
     */
    private static final Map<String, String> SCALED_LIMIT = Map.of(
            "server.concurrency-limit.aimd.min-limit", "4",
            "server.concurrency-limit.aimd.initial-limit", "4",
            "server.concurrency-limit.aimd.max-limit", "32",
            "server.concurrency-limit.aimd.queue-length", "4");

    private static final AtomicReference<String> FIRST_FAILURE = new AtomicReference<>();
    private static WebServer server;
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    @BeforeAll
    static void start() {
        Config config = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(Map.of("server.host", "127.0.0.1", "server.port", "0",
                                                       "server.sockets.0.host", "127.0.0.1",
                                                       "server.sockets.0.port", "0")))
                .addSource(ConfigSources.create(SCALED_LIMIT))
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
        ProblemResponses problems = Main.problems(config);
        server = Main.server(config, problems)
                .routing(routing -> Main.routing(routing, new CapacityStore(), Main.limits(config.get("api")),
                                                 new HttpMetrics(Metrics.createMeterRegistry()), problems))
                .build()
                .start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void threeTimesTheSustainableRateIsShedFastAndServedWithinBounds() throws Exception {
        // Warm-up: class loading and the JIT first, or the first seconds measure them.
        run(SUSTAINABLE_RATE / 2, Duration.ofSeconds(10));
        Run before = run(SUSTAINABLE_RATE / 2, Duration.ofSeconds(10));
        Run overload = run(SUSTAINABLE_RATE * 3, Duration.ofSeconds(30));
        Run after = run(SUSTAINABLE_RATE / 2, Duration.ofSeconds(10));
        String summary = "before: " + before + "\noverload: " + overload + "\nafter: " + after
                + "\nfirst failure: " + FIRST_FAILURE.get();
        System.out.println(summary);

        // Always: the server stays up and refuses the excess properly. Every request got an HTTP answer, each a 200
        // or a shed 503 with Retry-After and the overloaded problem; most of the excess was shed, and the store was
        // kept busy; after the overload everything is served again.
        assertEquals(0, overload.failed(), summary);
        assertTrue(overload.shed() > overload.total() / 3, "most of the excess was shed\n" + summary);
        assertTrue(overload.served() > SUSTAINABLE_RATE * 30 * 0.5, "kept serving near capacity\n" + summary);
        Run recovered = after.from(Duration.ofSeconds(5));
        assertEquals(0, recovered.shed() + recovered.failed(), summary);
        // The timing bounds need a machine whose other load does not stall this JVM for hundreds of milliseconds
        // (a 10 ms store call taking 25 ms makes the limit back off); they are asserted when asked for
        // (-Doverload.timing=true, see app/README.md) and printed always.
        if (Boolean.getBoolean("overload.timing")) {
            assertEquals(0, before.shed() + before.failed(), summary);
            assertTrue(overload.maxMillis() < 1000, "every answer within 1 s\n" + summary);
            assertTrue(overload.servedP99Millis() < 100, "served p99 under 100 ms\n" + summary);
            assertTrue(recovered.servedP99Millis() < Math.max(2 * before.servedP99Millis(), 50),
                       "normal latency within 10 s\n" + summary);
        }
    }

    /** Sends requests at a fixed rate for a while and waits for every answer. */
    private static Run run(double rate, Duration length) throws InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/api/order/5");
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build();
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        long count = (long) (rate * length.toSeconds());
        long start = System.nanoTime();
        try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
            for (long k = 0; k < count; k++) {
                long due = start + (long) (k * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                senders.submit(() -> outcomes.add(send(request, due, start)));
            }
        }
        return new Run(List.copyOf(outcomes));
    }

    private static Outcome send(HttpRequest request, long due, long runStart) {
        int status;
        boolean retryAfter = false;
        try {
            HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            status = response.statusCode();
            retryAfter = response.headers().firstValue("Retry-After").isPresent()
                    && response.body().contains("/problems/overloaded");
        } catch (IOException e) {
            FIRST_FAILURE.compareAndSet(null, e.toString());
            status = -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = -1;
        }
        // From when the request was due, not when it was sent: no coordinated omission.
        return new Outcome(due - runStart, System.nanoTime() - due, status, retryAfter);
    }

    /**
     * One request.
     *
     * @param offsetNanos when it was due, from the start of its run
     * @param latencyNanos from then to its answer
     * @param status its HTTP status, -1 if it got none
     * @param shedProperly for a 503: whether it carried Retry-After and the overloaded problem
     */
    private record Outcome(long offsetNanos, long latencyNanos, int status, boolean shedProperly) {
    }

    private record Run(List<Outcome> outcomes) {
        long total() {
            return outcomes.size();
        }

        long served() {
            return outcomes.stream().filter(o -> o.status() == 200).count();
        }

        long shed() {
            return outcomes.stream().filter(o -> o.status() == 503 && o.shedProperly()).count();
        }

        long failed() {
            return total() - served() - shed();
        }

        long maxMillis() {
            return outcomes.stream().mapToLong(Outcome::latencyNanos).max().orElse(0) / 1_000_000;
        }

        double servedP99Millis() {
            long[] served = outcomes.stream().filter(o -> o.status() == 200).mapToLong(Outcome::latencyNanos)
                    .sorted().toArray();
            return served.length == 0 ? 0 : served[(int) Math.ceil(served.length * 0.99) - 1] / 1e6;
        }

        Run from(Duration offset) {
            return new Run(outcomes.stream().filter(o -> o.offsetNanos() >= offset.toNanos()).toList());
        }

        @Override
        public String toString() {
            return String.format("%d requests, %d served (p99 %.1f ms), %d shed, %d failed, slowest %d ms", total(),
                                 served(), servedP99Millis(), shed(), failed(), maxMillis());
        }
    }

    /** A store of fixed capacity: STORE_PARALLELISM requests at a time, each taking STORE_SERVICE_TIME. */
    private static final class CapacityStore implements OrderStore {
        private final Semaphore capacity = new Semaphore(STORE_PARALLELISM, true);

        @Override
        public Optional<Order> find(long orderId) {
            capacity.acquireUninterruptibly();
            try {
                TimeUnit.NANOSECONDS.sleep(STORE_SERVICE_TIME.toNanos());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                capacity.release();
            }
            return Optional.of(new Order(orderId, 7, new BigDecimal("2.50"), "NEW", "2026-01-01T00:00:00.000Z",
                                         List.of(new Order.Item(9, 3, 2, new BigDecimal("1.25")))));
        }

        @Override
        public Order create(NewOrder order) {
            throw new UnsupportedOperationException("the overload test only reads");
        }
    }
}
