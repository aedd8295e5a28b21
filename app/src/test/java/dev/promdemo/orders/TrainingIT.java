/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The AOT cache's training run, as {@code ./demo up} and the image bake make it: the packaged jar in its own JVM with
 * {@code -XX:AOTCacheOutput}, against a real database, writes a cache that a JVM refusing any unusable cache
 * ({@code -XX:AOTMode=on}) then starts the jar with; and the run writes nothing to the database.
 */
class TrainingIT {
    private static final Path JAR = Path.of("target/order-api.jar");
    private static TestStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStack.start(Map.of(), false);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void trainingWritesACacheTheJvmStartsWithAndNoRows(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(JAR), "package the jar first: " + JAR.toAbsolutePath());
        Path cache = dir.resolve("order-api.aot");
        long orders = stack.count("SELECT COUNT(*) FROM orders");
        long items = stack.count("SELECT COUNT(*) FROM order_items");
        String nextId = "SELECT AUTO_INCREMENT FROM information_schema.TABLES"
                + " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders'";
        long next = stack.count(nextId);

        Run training = java(dir, "-Xmx128m", "-XX:AOTCacheOutput=" + cache, "-jar", JAR.toString(), "train", "2");
        assertEquals(0, training.exit(), training.output());
        assertTrue(training.output().contains("order-api: training run:"), training.output());
        // The database answered: unknown orders are 404s, not 503s.
        assertTrue(training.output().matches("(?s).*by status \\{[^}]*404=[1-9].*"), training.output());
        assertTrue(Files.size(cache) > 1_000_000, "the cache " + cache + " holds " + Files.size(cache) + " bytes");
        assertEquals(orders, stack.count("SELECT COUNT(*) FROM orders"), "the training run wrote orders");
        assertEquals(items, stack.count("SELECT COUNT(*) FROM order_items"), "the training run wrote items");
        // Not even a refused order: it would use up an id, and a gap in the ids reads as a 404.
        assertEquals(next, stack.count(nextId), "the training run used up order ids");

        // With -XX:AOTMode=on the JVM exits with an error when it cannot map the cache, instead of going on without.
        Run cached = java(dir, "-Xmx128m", "-XX:AOTCache=" + cache, "-XX:AOTMode=on", "-jar", JAR.toString(), "help");
        assertEquals(0, cached.exit(), cached.output());
        assertTrue(cached.output().contains("usage: java -jar order-api.jar"), cached.output());
        // ... as it does with half of it: the check above can fail.
        Path broken = dir.resolve("broken.aot");
        try (var in = Files.newInputStream(cache)) {
            Files.write(broken, in.readNBytes((int) (Files.size(cache) / 2)));
        }
        Run refused = java(dir, "-Xmx128m", "-XX:AOTCache=" + broken, "-XX:AOTMode=on", "-jar", JAR.toString(), "help");
        assertNotEquals(0, refused.exit(), refused.output());
    }

    private Run java(Path dir, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("java.out").toFile());
        builder.environment().put("DB_URL", stack.config().get("db.url").asString().get());
        builder.environment().put("DB_USER", stack.config().get("db.user").asString().get());
        builder.environment().put("DB_PASSWORD", stack.config().get("db.password").asString().get());
        Process process = builder.start();
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("java " + String.join(" ", arguments) + " did not exit within 180 s");
        }
        return new Run(process.exitValue(), Files.readString(dir.resolve("java.out"), StandardCharsets.UTF_8));
    }

    private record Run(int exit, String output) {
    }
}
