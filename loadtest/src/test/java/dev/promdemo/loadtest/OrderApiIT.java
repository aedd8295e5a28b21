/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.promdemo.db.EmbeddedDatabase;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: a short stage against the real order API on a real (embedded) database, seeded as in the demo. The
 * generator's counts match the API's own metrics and the verification pass finds every order the run created.
 */
class OrderApiIT {
    private static Path dataDir;
    private static EmbeddedDatabase db;
    private static dev.promdemo.orders.Main.Application api;

    @BeforeAll
    static void start() throws Exception {
        // A private data (and base) directory: the default base under /tmp is shared with other builds.
        dataDir = Files.createTempDirectory(Path.of("target"), "orders-db").toAbsolutePath();
        EmbeddedDatabase.Options defaults = EmbeddedDatabase.Options.forTests();
        db = EmbeddedDatabase.start(new EmbeddedDatabase.Options(
                defaults.host(), defaults.port(), dataDir.resolve("data"), defaults.database(), defaults.appUser(),
                defaults.appPassword(), defaults.exporterUser(), defaults.exporterPassword(), List.of()));
        Map<String, String> settings = Map.of("db.url", db.jdbcUrl(), "db.user", db.options().appUser(),
                                              "db.password", db.options().appPassword());
        // The order API's migrate command reads its settings from system properties (and the environment).
        settings.forEach(System::setProperty);
        dev.promdemo.orders.Main.main(new String[] {"migrate", "--seed"});
        Config config = Config.builder()
                .addSource(ConfigSources.create(Map.of(
                        "db.url", db.jdbcUrl(), "db.user", db.options().appUser(),
                        "db.password", db.options().appPassword(),
                        "server.host", "127.0.0.1", "server.port", "0",
                        "server.sockets.0.name", "admin", "server.sockets.0.host", "127.0.0.1",
                        "server.sockets.0.port", "0")))
                .addSource(ConfigSources.classpath("application.yaml"))
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .build();
        api = dev.promdemo.orders.Main.start(config);
    }

    @AfterAll
    static void stop() throws IOException {
        if (api != null) {
            api.stop();
        }
        if (db != null) {
            db.close();
        }
        if (dataDir != null) {
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void shortStageAgainstTheRealApiPassesAndLosesNoOrder(@TempDir Path dir) throws Exception {
        Runs.Run run = Runs.run(dir, "--stage", "normal", "--target", "http://127.0.0.1:" + api.apiPort(),
                                "--users", "5", "--ramp", "1s", "--duration", "8s", "--think-time", "20ms-60ms",
                                "--verify", "all",
                                // Latency on a shared build machine is not what this test is about.
                                "--threshold", "all:p95<5s");
        assertEquals(ExitCode.PASS, run.exitCode(), run.output());
        JsonNode summary = run.summary();
        assertEquals(100_000, summary.path("run").path("highest_order_id_at_start").asLong());
        JsonNode ops = summary.path("stages").get(0).path("operations");
        long writes = ops.path("write").path("by_outcome").path("ok").asLong();
        assertTrue(writes > 50, "too few writes: " + writes);
        assertEquals(0, ops.path("all").path("errors").asLong(), ops.toString());
        JsonNode verification = summary.path("verification");
        assertEquals(writes, verification.path("created").asLong());
        assertEquals(writes, verification.path("checked").asLong());
        assertTrue(verification.path("passed").asBoolean(), verification.toString());

        String metrics;
        try (HttpClient http = HttpClient.newHttpClient()) {
            metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.adminPort() + "/metrics"))
                                        .build(), HttpResponse.BodyHandlers.ofString()).body();
        }
        assertEquals(writes, sum(metrics, "orders_placed_total", ""), "the API's count of orders placed");
        assertEquals(ops.path("write").path("requests").asLong(),
                     sum(metrics, "http_server_requests_seconds_count", "method=\"POST\""));
    }

    private static long sum(String metrics, String name, String label) {
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? (\\S+)$").matcher(metrics);
        double total = 0;
        boolean found = false;
        while (m.find()) {
            if (m.group(1) == null || m.group(1).contains(label)) {
                total += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        assertTrue(found, name + " is not in the API's metrics");
        return (long) total;
    }
}
