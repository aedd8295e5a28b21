/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real Prometheus (Debian's, on a free loopback port) scrapes the stub API's orders counter and two shards of one
 * test: shard 1's orders check compares the API's orders with the writes acknowledged to both generators, and fails,
 * naming the count, when Prometheus scrapes only one of them.
 */
class ShardPrometheusIT {
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");

    @Test
    void shardOneComparesTheApisOrdersWithEveryGeneratorsAcknowledgedWrites(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(PROMETHEUS), "prometheus is not installed (Debian's prometheus package)");
        int first = Runs.freePort();
        int second = Runs.freePort();
        int unscraped = Runs.freePort();
        int port = Runs.freePort();
        try (StubApi stub = new StubApi(1000)) {
            Files.writeString(dir.resolve("rules.yml"), """
                    groups:
                      - name: test
                        interval: 1s
                        rules:
                          - record: test:up:sum
                            expr: sum(up)
                    """);
            Files.writeString(dir.resolve("prometheus.yml"), """
                    global: {scrape_interval: 1s, evaluation_interval: 1s}
                    rule_files: [rules.yml]
                    scrape_configs:
                      - job_name: order-api
                        static_configs: [{targets: ['%s']}]
                      - job_name: loadgen
                        static_configs: [{targets: ['127.0.0.1:%d', '127.0.0.1:%d']}]
                    """.formatted(stub.url().substring("http://".length()), first, second));
            Process prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=prometheus.yml",
                                                    "--storage.tsdb.path=data",
                                                    "--web.listen-address=127.0.0.1:" + port)
                    .directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                String url = "http://127.0.0.1:" + port;
                awaitReady(url, dir);
                // As in a real deployment, Prometheus has been scraping the API before the test starts.
                awaitScraped(url, "up{job=\"order-api\"} == 1");
                List<Runs.Run> both = shards(dir.resolve("both"), url, stub.url(), "normal", first, second);
                assertEquals(ExitCode.PASS, both.get(0).exitCode(), both.get(0).output());
                assertEquals(ExitCode.PASS, both.get(1).exitCode(), both.get(1).output());
                JsonNode check = orders(both.get(0));
                assertTrue(check.path("passed").asBoolean(), check.toString());
                assertTrue(check.path("actual").asText().contains("to the 2 load generators"), check.toString());
                long acked = both.stream().mapToLong(r -> r.summary().path("stages").get(0).path("operations")
                        .path("write").path("by_outcome").path("ok").asLong()).sum();
                System.out.println("orders check, both shards scraped (" + acked + " acknowledged in all): "
                                           + check.path("actual").asText());

                // The second shard's metrics are where Prometheus does not look: its orders are missing.
                List<Runs.Run> one = shards(dir.resolve("one"), url, stub.url(), "write-heavy", first, unscraped);
                assertEquals(ExitCode.FAILED, one.get(0).exitCode(), one.get(0).output());
                assertEquals(ExitCode.PASS, one.get(1).exitCode(), "shard 2 does not judge: " + one.get(1).output());
                JsonNode missing = orders(one.get(0));
                assertFalse(missing.path("passed").asBoolean(), missing.toString());
                assertTrue(missing.path("actual").asText().contains("1 of the test's 2 load generators"),
                           missing.toString());
                System.out.println("orders check, one shard scraped: " + missing.path("actual").asText());
            } finally {
                prometheus.destroy();
                prometheus.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    /** Runs shards 1/2 and 2/2 at once, each serving its metrics on its own port, judged by Prometheus. */
    private static List<Runs.Run> shards(Path parent, String prometheus, String target, String stage, int... ports)
            throws InterruptedException {
        Instant startAt = Instant.now().plusSeconds(3).truncatedTo(ChronoUnit.MILLIS);
        Runs.Run[] runs = new Runs.Run[ports.length];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < ports.length; i++) {
            int index = i;
            threads.add(Thread.ofPlatform().start(() -> runs[index] = Runs.run(
                    parent.resolve("shard-" + (index + 1)), "--stage", stage, "--target", target,
                    "--rate", "40/s", "--duration", "12s", "--no-default-thresholds", "--prometheus", prometheus,
                    "--metrics-port", String.valueOf(ports[index]), "--linger", "3s",
                    "--shard", (index + 1) + "/" + ports.length, "--start-at", startAt.toString())));
        }
        for (Thread t : threads) {
            t.join();
        }
        return List.of(runs);
    }

    private static JsonNode orders(Runs.Run run) {
        for (JsonNode c : run.summary().path("stages").get(0).path("prometheus_checks")) {
            if (c.path("kind").asText().equals("orders")) {
                return c;
            }
        }
        throw new AssertionError("no orders check in " + run.summary().path("stages").get(0));
    }

    private static void awaitScraped(String url, String query) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            String body = client.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/query?query="
                    + URLEncoder.encode(query, StandardCharsets.UTF_8))).build(),
                                      HttpResponse.BodyHandlers.ofString()).body();
            if (!body.contains("\"result\":[]")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("Prometheus never returned " + query);
    }

    private static void awaitReady(String url, Path dir) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(url + "/-/ready")).build(),
                                                   HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            Thread.sleep(200);
        }
        throw new AssertionError("Prometheus did not start: " + Files.readString(dir.resolve("prometheus.log")));
    }
}
