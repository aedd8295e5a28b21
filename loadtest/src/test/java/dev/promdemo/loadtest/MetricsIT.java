/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Prometheus endpoint serves the names and labels of the metrics contract (docs/architecture.md), while the run
 * goes and during the linger after it, and the db-stress command runs for the stage and is stopped.
 */
class MetricsIT {
    private static final Pattern SAMPLE = Pattern.compile("([a-z_]+)(?:\\{([^}]*)\\})? (\\S+)");

    @Test
    void metricsFollowTheContractAndTheStressWindowIsReported(@TempDir Path dir) throws Exception {
        int port = Runs.freePort();
        // The run gets its own thread: on 2 CPUs the common pool has one worker, which the JDK HttpClient also uses.
        try (StubApi stub = new StubApi(1000); HttpClient http = HttpClient.newHttpClient();
             ExecutorService runner = Executors.newSingleThreadExecutor()) {
            Future<Runs.Run> running = runner.submit(() -> Runs.run(
                    dir, "--stage", "db-stress", "--target", stub.url(), "--users", "3", "--ramp", "0",
                    "--duration", "4s", "--think-time", "10ms-20ms", "--metrics-port", String.valueOf(port),
                    "--linger", "4s", "--stress-command", "sleep 7{seconds}7"));
            List<Sample> during = scrapeWhen(http, port, s -> value(s, "loadtest_requests_total", null) > 0
                    && value(s, "loadtest_stage_info", "stage=\"db-stress\"") == 1);
            assertEquals(1, value(during, "loadtest_db_stress_active", null));
            assertEquals(3, value(during, "loadtest_target_users", "stage=\"db-stress\""));
            assertTrue(stressRunning(), "the stress command should run during the stage");

            List<Sample> after = scrapeWhen(http, port, s -> value(s, "loadtest_stage_info", null) == 0);
            Runs.Run run = running.get();
            assertEquals(ExitCode.PASS, run.exitCode(), run.output());
            assertFalse(stressRunning(), "the stress command should be stopped after the stage");
            JsonNode stage = run.summary().path("stages").get(0);
            assertEquals(stage.path("operations").path("all").path("requests").asDouble(),
                         value(after, "loadtest_requests_total", "stage=\"db-stress\""));
            assertEquals(stage.path("operations").path("write").path("requests").asDouble(),
                         value(after, "loadtest_requests_total", "operation=\"write\""));
            assertEquals(stage.path("operations").path("all").path("requests").asDouble(),
                         value(after, "loadtest_request_duration_seconds_count", "stage=\"db-stress\""));
            for (String le : List.of("le=\"0.001\"", "le=\"0.1\"", "le=\"0.3\"", "le=\"10.0\"", "le=\"+Inf\"")) {
                assertTrue(after.stream().anyMatch(x -> x.name().equals("loadtest_request_duration_seconds_bucket")
                        && x.labels().contains(le)), "no bucket " + le);
            }
            assertEquals(value(after, "loadtest_request_duration_seconds_count", null),
                         value(after, "loadtest_request_duration_seconds_bucket", "le=\"+Inf\""));
            assertTrue(value(after, "loadtest_schedule_lag_seconds_count", "stage=\"db-stress\"") > 0);
            assertEquals(0, value(after, "loadtest_active_users", "stage=\"db-stress\""));
            assertEquals(0, value(after, "loadtest_db_stress_active", null));
            double start = value(after, "loadtest_stage_start_timestamp_seconds", "stage=\"db-stress\"");
            double end = value(after, "loadtest_stage_end_timestamp_seconds", "stage=\"db-stress\"");
            assertEquals(4, end - start, 1.0);
            for (Sample s : after) {
                if (s.name().startsWith("loadtest_request")) {
                    assertTrue(s.labels().matches(".*operation=\"(read|write)\".*outcome=\"(ok|connect_error|timeout"
                                                          + "|http_4xx|http_5xx|shed|check_failed)\".*stage=\"db-stress\".*"),
                               s.toString());
                }
            }
            JsonNode stress = stage.path("db_stress");
            assertEquals("sleep 747", stress.path("command").asText());
            assertTrue(stress.path("launched").asBoolean());
        }
    }

    private static boolean stressRunning() {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().arguments().map(a -> List.of(a).contains("747"))
                .orElse(false));
    }

    private record Sample(String name, String labels, double value) {
    }

    private static double value(List<Sample> samples, String name, String label) {
        return samples.stream().filter(s -> s.name().equals(name) && (label == null || s.labels().contains(label)))
                .mapToDouble(Sample::value).sum();
    }

    private static List<Sample> scrapeWhen(HttpClient http, int port, Predicate<List<Sample>> ready)
            throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                List<Sample> samples = scrape(http, port);
                if (ready.test(samples)) {
                    return samples;
                }
            } catch (IOException e) {
                // Not serving yet.
            }
            Thread.sleep(100);
        }
        throw new AssertionError("metrics never reached the expected state");
    }

    private static List<Sample> scrape(HttpClient http, int port) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        List<Sample> samples = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "not in the text format: " + line);
            samples.add(new Sample(m.group(1), m.group(2) == null ? "" : m.group(2), Double.parseDouble(m.group(3))));
        }
        return samples;
    }
}
