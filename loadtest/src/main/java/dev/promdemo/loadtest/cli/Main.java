/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.promdemo.loadtest.ExitCode;
import dev.promdemo.loadtest.LoadTest;
import dev.promdemo.loadtest.Merge;
import dev.promdemo.loadtest.MergeConfig;
import dev.promdemo.loadtest.RunConfig;
import dev.promdemo.loadtest.plan.ConfigException;

/**
 * {@code java -jar loadtest.jar --stage <name> [options]}: runs the stages and exits with a code that says whether
 * they passed (see {@link ExitCode} and {@code --help}); {@code java -jar loadtest.jar merge DIR...} joins the
 * outputs of a sharded test's load generators into one result.
 */
public final class Main {
    private Main() {
    }

    /**
     * Runs the load test and exits.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        CountDownLatch done = new CountDownLatch(1);
        LoadTest[] running = new LoadTest[1];
        // Ctrl-C / SIGTERM: stop the stage, let the run write its partial results, then let the JVM exit (130).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LoadTest run = running[0];
            if (run != null && done.getCount() > 0) {
                run.interrupt();
                try {
                    done.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                // The JVM would exit with 128 + the signal (143 for SIGTERM); the documented code is 130 for both.
                Runtime.getRuntime().halt(ExitCode.INTERRUPTED);
            }
        }, "loadtest-interrupt"));
        boolean terminal = System.console() != null && System.console().isTerminal();
        int code;
        try {
            code = run(Arrays.asList(args), System.getenv(), System.out, System.err, terminal, r -> running[0] = r);
        } catch (RuntimeException | Error e) {
            e.printStackTrace();
            code = ExitCode.INTERNAL_ERROR;
        } finally {
            done.countDown();
        }
        System.exit(code);
    }

    /**
     * Runs the load test; the testable core of {@link #main(String[])}.
     *
     * @param args the command line
     * @param env the environment
     * @param out where progress and results go
     * @param err where errors go
     * @param terminal whether {@code out} is a terminal (colors)
     * @param started told about the run before it starts, so it can be interrupted
     * @return the exit code
     */
    public static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err,
                          boolean terminal, Consumer<LoadTest> started) {
        if (!args.isEmpty() && args.getFirst().equals("merge")) {
            return merge(args.subList(1, args.size()), out, err, terminal);
        }
        RunConfig config;
        try {
            config = Options.parse(args, env);
        } catch (ConfigException e) {
            err.println("loadtest: " + e.getMessage());
            return ExitCode.CONFIG_ERROR;
        }
        if (config == null) {
            out.print(Options.HELP);
            return ExitCode.PASS;
        }
        LoadTest run = new LoadTest(config, out, terminal);
        started.accept(run);
        return run.run(err);
    }

    private static int merge(List<String> args, PrintStream out, PrintStream err, boolean terminal) {
        MergeConfig config;
        try {
            config = Options.parseMerge(args);
        } catch (ConfigException e) {
            err.println("loadtest " + e.getMessage());
            return ExitCode.CONFIG_ERROR;
        }
        if (config == null) {
            out.print(Options.MERGE_HELP);
            return ExitCode.PASS;
        }
        return new Merge(config, out, terminal).run(err);
    }
}
