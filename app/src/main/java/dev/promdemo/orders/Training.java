/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * The training run for the JDK's AOT cache: {@code java -XX:AOTCacheOutput=order-api.aot -jar order-api.jar train}.
 *
 * <p>It starts the whole API as {@code serve} would, but on loopback and on ports the system picks, so it can run
 * beside a running API; sends it every kind of request a real run sees (reads of orders that exist and do not, bad
 * ids and bodies, metrics, health and the OpenAPI document) for a few seconds; then stops it and exits. It sends no
 * order the database would see: even one the database refuses (an unknown customer) uses up an order id, and a gap
 * in the ids is a 404 for a load generator reading ids below the highest. The JVM writes the cache as
 * it exits: the classes loaded and linked, and the profiles of the methods run. A later
 * {@code java -XX:AOTCache=order-api.aot -jar order-api.jar} starts from them.
 *
 * <p>Without a database it still trains start-up and every path up to the store, whose requests end in 503 after
 * a short connection timeout; that is how the image bake runs it.
 */
final class Training {
    private static final int PARALLEL = 16;

    private Training() {
    }

    /**
     * Runs the training.
     *
     * @param length how long to send requests for
     */
    static void run(Duration length) throws InterruptedException {
        Config config = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(Map.of("server.host", "127.0.0.1", "server.port", "0",
                                                       "server.sockets.0.host", "127.0.0.1",
                                                       "server.sockets.0.port", "0",
                                                       // Without a database, each store request waits this long.
                                                       "db.connection-timeout", "PT0.25S")))
                .addSource(ConfigSources.environmentVariables())
                .addSource(ConfigSources.systemProperties())
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
        Main.Application app = Main.start(config);
        Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        long requests = 0;
        long start = System.nanoTime();
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
             ExecutorService senders = Executors.newFixedThreadPool(PARALLEL, Thread.ofVirtual().factory())) {
            List<HttpRequest> round = round(URI.create("http://127.0.0.1:" + app.apiPort()),
                                            URI.create("http://127.0.0.1:" + app.adminPort()));
            do {
                List<Future<?>> sent = new ArrayList<>();
                for (HttpRequest request : round) {
                    sent.add(senders.submit(() -> send(client, request, statuses)));
                }
                for (Future<?> future : sent) {
                    try {
                        future.get();
                    } catch (ExecutionException e) {
                        statuses.computeIfAbsent("error", k -> new LongAdder()).increment();
                    }
                }
                requests += round.size();
            } while (System.nanoTime() - start < length.toNanos());
        } finally {
            app.stop();
        }
        Map<String, Long> byStatus = new TreeMap<>();
        statuses.forEach((status, count) -> byStatus.put(status, count.sum()));
        System.out.printf("order-api: training run: %d requests in %.1f s, by status %s%n", requests,
                          (System.nanoTime() - start) / 1e9, byStatus);
    }

    private static List<HttpRequest> round(URI api, URI admin) {
        List<HttpRequest> requests = new ArrayList<>();
        for (int id = 1; id <= 64; id++) {
            requests.add(get(api.resolve("/api/order/" + id)));
        }
        requests.add(get(api.resolve("/api/order/999999999")));
        requests.add(get(api.resolve("/api/order/abc")));
        requests.add(get(api.resolve("/api/nothing")));
        requests.add(post(api.resolve("/api/order"), "{\"customer_id\": 1, \"items\": []}"));
        requests.add(post(api.resolve("/api/order"), "{not json"));
        for (String path : List.of("/metrics", "/health/ready", "/health/live", "/openapi")) {
            requests.add(get(admin.resolve(path)));
        }
        return requests;
    }

    private static HttpRequest get(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build();
    }

    private static HttpRequest post(URI uri, String body) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static void send(HttpClient client, HttpRequest request, Map<String, LongAdder> statuses) {
        String status;
        try {
            status = String.valueOf(client.send(request, HttpResponse.BodyHandlers.ofByteArray()).statusCode());
        } catch (IOException e) {
            status = "error";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = "interrupted";
        }
        statuses.computeIfAbsent(status, k -> new LongAdder()).increment();
    }
}
