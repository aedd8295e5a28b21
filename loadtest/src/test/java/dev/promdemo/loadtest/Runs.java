/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.promdemo.loadtest.cli.Main;

/**
 * Runs the generator in-process for tests and reads what it wrote.
 */
final class Runs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Runs() {
    }

    /**
     * The outcome of one run.
     *
     * @param exitCode the exit code
     * @param output what it printed
     * @param out the output directory
     */
    record Run(int exitCode, String output, Path out) {
        JsonNode summary() {
            try {
                return JSON.readTree(out.resolve("summary.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Runs with quiet defaults for tests: a free metrics port on loopback, no linger, no stress.
     *
     * @param out the output directory
     * @param args the arguments
     * @return the run
     */
    static Run run(Path out, String... args) {
        return run(out, Map.of("PATH", "/nonexistent"), args);
    }

    /**
     * Runs as {@link #run(Path, String...)} does, with an environment of its own.
     *
     * @param out the output directory
     * @param env the environment
     * @param args the arguments
     * @return the run
     */
    static Run run(Path out, Map<String, String> env, String... args) {
        List<String> all = new ArrayList<>(List.of("--metrics-host", "127.0.0.1", "--metrics-port", "0",
                                                   "--linger", "0", "--interval", "1s", "--out", out.toString()));
        all.addAll(List.of(args));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int code = Main.run(all, env, print, print, false, m -> { });
        String output = bytes.toString(StandardCharsets.UTF_8);
        System.out.println(output);
        return new Run(code, output, out);
    }

    /**
     * Runs as {@link #run(Path, String...)} does, and interrupts the run (as Ctrl-C does) after a while.
     *
     * @param out the output directory
     * @param after when to interrupt it
     * @param args the arguments
     * @return the run
     */
    static Run interrupted(Path out, Duration after, String... args) {
        List<String> all = new ArrayList<>(List.of("--metrics-host", "127.0.0.1", "--metrics-port", "0",
                                                   "--linger", "0", "--interval", "1s", "--out", out.toString()));
        all.addAll(List.of(args));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int code = Main.run(all, Map.of("PATH", "/nonexistent"), print, print, false,
                            run -> Thread.ofVirtual().start(() -> {
                                try {
                                    Thread.sleep(after);
                                    run.interrupt();
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }));
        String output = bytes.toString(StandardCharsets.UTF_8);
        System.out.println(output);
        return new Run(code, output, out);
    }

    /**
     * Runs shards 1..N of one test at once, as N load hosts would: each in its own thread with its own output
     * directory ({@code shard-I} under {@code parent}), all told to start at the same instant.
     *
     * @param parent where the shards' directories go
     * @param count N
     * @param args the test's arguments, the same for every shard
     * @return the shards' runs, shard 1 first
     * @throws InterruptedException if interrupted while waiting for them
     */
    static List<Run> shards(Path parent, int count, String... args) throws InterruptedException {
        Instant startAt = Instant.now().plusSeconds(3).truncatedTo(ChronoUnit.MILLIS);
        List<Thread> threads = new ArrayList<>();
        Run[] runs = new Run[count];
        for (int i = 0; i < count; i++) {
            int index = i;
            List<String> all = new ArrayList<>(List.of(args));
            all.addAll(List.of("--shard", (index + 1) + "/" + count, "--start-at", startAt.toString()));
            threads.add(Thread.ofPlatform().name("shard-" + (index + 1)).start(
                    () -> runs[index] = run(parent.resolve("shard-" + (index + 1)), all.toArray(String[]::new))));
        }
        for (Thread t : threads) {
            t.join();
        }
        return List.of(runs);
    }

    /**
     * Runs {@code loadtest merge --out out dirs...}.
     *
     * @param out the merged output directory
     * @param args the directories, and any options
     * @return the merge, as a run
     */
    static Run merge(Path out, String... args) {
        List<String> all = new ArrayList<>(List.of("merge", "--out", out.toString()));
        all.addAll(List.of(args));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int code = Main.run(all, Map.of(), print, print, false, m -> { });
        String output = bytes.toString(StandardCharsets.UTF_8);
        System.out.println(output);
        return new Run(code, output, out);
    }

    /**
     * A loopback port that was free a moment ago.
     *
     * @return the port
     */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
