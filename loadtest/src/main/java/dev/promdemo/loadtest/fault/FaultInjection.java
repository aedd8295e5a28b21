/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.fault;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.promdemo.loadtest.plan.ConfigException;

/**
 * One fault of a fault stage ({@code db-outage}, {@code db-slow}, {@code api-crash}), injected and undone.
 *
 * <p>The contract, the same locally and on AWS: the fault is started with only its length, and whatever injects it
 * undoes it by itself when the length has passed, so a generator that dies mid-fault leaves nothing broken for
 * long. Locally that is the local stack's {@code fault NAME SECONDS} command (any command given with
 * {@code --fault-command}), which prints a line starting {@code fault on} once the fault is in effect, undoes it at
 * once on SIGTERM, and exits 0 when it is undone. On AWS it is the project's Run Command document
 * {@code <project>-<fault>} (parameter {@code durationSeconds}) on the database or API instance, confirmed running;
 * {@code <project>-<fault>-undo} undoes it early. A fault that does not start fails its stage; so does one whose
 * undo failed.
 */
public final class FaultInjection {
    /** How long a local fault may take to be in effect (a clean database shutdown takes a while). */
    static final Duration START = Duration.ofSeconds(90);
    /** How long the undo may take after the fault's length (a database or API start). */
    static final Duration UNDO = Duration.ofSeconds(150);

    private final Settings settings;
    private final String name;
    private final long seconds;
    private final List<String> output = new ArrayList<>();
    private final CountDownLatch on = new CountDownLatch(1);
    private Process process;
    private AwsRunCommand aws;
    private String problem;
    private String undoProblem;
    private Instant started;
    private Instant ended;
    private volatile Instant exited;

    private FaultInjection(Settings settings, String name, long seconds) {
        this.settings = settings;
        this.name = name;
        this.seconds = seconds;
    }

    /**
     * Injects a fault and waits until it is in effect.
     *
     * @param settings the resolved settings
     * @param name the fault
     * @param length how long it lasts before it is undone
     * @return the fault, in effect or not ({@link #launched()}, {@link #problem()})
     */
    public static FaultInjection start(Settings settings, String name, Duration length) {
        FaultInjection f = new FaultInjection(settings, name, Math.max(1, (length.toMillis() + 999) / 1000));
        // The fault counts from the moment it was asked for: a database that takes seconds to stop already
        // refuses requests, and the alerts may fire, before the command says the fault is in effect.
        f.started = Instant.now();
        if (settings.problem() != null) {
            f.problem = settings.problem();
        } else if (settings.local() != null) {
            f.problem = f.startLocal();
        } else {
            f.aws = new AwsRunCommand(settings.aws(name));
            f.problem = f.aws.start(f.seconds);
        }
        return f;
    }

    private String startLocal() {
        try {
            process = new ProcessBuilder("sh", "-c", command()).redirectErrorStream(true).start();
            process.getOutputStream().close();
            // The command exits once the fault is undone: that moment, not the stage's end, ends the fault.
            process.onExit().thenRun(() -> exited = Instant.now());
        } catch (IOException e) {
            process = null;
            return "cannot start '" + command() + "': " + e.getMessage();
        }
        Thread.ofVirtual().name("loadtest-fault-output").start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                                                                              StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (output) {
                        output.add(line);
                    }
                    if (line.startsWith("fault on")) {
                        on.countDown();
                    }
                }
            } catch (IOException e) {
                // The process ended; what it said so far is kept.
            }
        });
        try {
            long deadline = System.nanoTime() + START.toNanos();
            while (!on.await(100, TimeUnit.MILLISECONDS)) {
                if (!process.isAlive()) {
                    // Its last lines may still be on their way.
                    on.await(200, TimeUnit.MILLISECONDS);
                    if (on.getCount() > 0) {
                        return "'" + command() + "' exited with status " + process.exitValue() + " before the fault "
                                + "was in effect: " + said();
                    }
                    break;
                }
                if (System.nanoTime() > deadline) {
                    process.destroy();
                    return "'" + command() + "' did not put the fault in effect within " + START.toSeconds() + "s: "
                            + said();
                }
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroy();
            return "interrupted while starting '" + command() + "'";
        }
    }

    private String said() {
        synchronized (output) {
            String text = String.join(" | ", output).strip();
            if (text.isEmpty()) {
                return "(no output)";
            }
            return text.length() > 400 ? "..." + text.substring(text.length() - 400) : text;
        }
    }

    /**
     * The command as run (locally) or sent (AWS).
     *
     * @return the command line
     */
    public String command() {
        if (settings.local() != null) {
            return settings.local().replace("{fault}", name).replace("{seconds}", Long.toString(seconds));
        }
        if (settings.problem() != null) {
            return "(none)";
        }
        return String.join(" ", new AwsRunCommand(settings.aws(name)).startCommand(seconds));
    }

    /**
     * Undoes the fault now, without waiting: what Ctrl-C does. {@link #stop} still waits for the undo.
     */
    public void abort() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroy();
        }
    }

    /**
     * Ends the fault: undoes it now if the stage ended early, then waits (bounded) until it is undone, locally by
     * the command's exit. On AWS the host undoes it by itself after its length; early, the undo document is sent.
     *
     * @param early whether the stage ended before the fault's planned end
     */
    public void stop(boolean early) {
        if (ended != null || !launched()) {
            if (ended == null) {
                ended = Instant.now();
            }
            return;
        }
        if (process != null) {
            if (early) {
                process.destroy();
            }
            try {
                if (!process.waitFor(seconds + UNDO.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroy();
                    undoProblem = "'" + command() + "' had not undone the fault " + UNDO.toSeconds()
                            + "s after its end: " + said();
                } else if (process.exitValue() != 0 && !(early && signalled(process.exitValue()))) {
                    undoProblem = "'" + command() + "' exited with status " + process.exitValue() + ": " + said();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                undoProblem = "interrupted while waiting for the fault's undo";
            }
            ended = exited != null ? exited : Instant.now();
            return;
        }
        if (aws != null && early) {
            String failed = aws.stop();
            if (failed != null) {
                undoProblem = "could not undo the fault early: " + failed;
            }
        }
        // On AWS the host undoes the fault by itself when its length has passed.
        Instant planned = started.plusSeconds(seconds);
        ended = early || planned.isAfter(Instant.now()) ? Instant.now() : planned;
    }

    /** An undo cut short by the SIGTERM (or Ctrl-C) that asked for it exits 143 (or 130) after undoing. */
    private static boolean signalled(int status) {
        return status == 143 || status == 130;
    }

    /**
     * When the fault was asked for (it is in effect at most {@link #START} later).
     *
     * @return the start
     */
    public Instant started() {
        return started;
    }

    /**
     * When it was undone, or {@code null} while it lasts.
     *
     * @return the end
     */
    public Instant ended() {
        return ended;
    }

    /**
     * Whether the fault was put in effect.
     *
     * @return {@code true} if it started
     */
    public boolean launched() {
        return problem == null;
    }

    /**
     * Why it did not start, or why its undo failed.
     *
     * @return the reason, or {@code null} if it started and was undone
     */
    public String problem() {
        return problem != null ? problem : undoProblem;
    }

    /**
     * Where faults go and what undoes them.
     *
     * @param mode {@code local}, {@code aws} or {@code unavailable}
     * @param local the local command with {@code {fault}} and {@code {seconds}}, or {@code null}
     * @param cli the AWS CLI
     * @param path the {@code PATH} the CLI runs with
     * @param dbInstance the database instance, or {@code null}
     * @param apiInstance the API instance, or {@code null}
     * @param project the project (the documents' prefix)
     * @param problem why faults cannot be injected here, or {@code null}
     */
    public record Settings(String mode, String local, String cli, String path, String dbInstance, String apiInstance,
                           String project, String problem) {
        /**
         * Resolves where faults go: {@code --fault-command} (or {@code FAULT_COMMAND}, which the local stack sets)
         * first, else Run Command when {@code DB_INSTANCE_ID} is set.
         *
         * @param command the local command, or {@code null}
         * @param dbInstance {@code DB_INSTANCE_ID}, or {@code null}
         * @param apiInstance {@code API_INSTANCE_ID}, or {@code null}
         * @param project {@code PROJECT}, or {@code null}
         * @param path {@code PATH}
         * @return the settings
         * @throws ConfigException if the command lacks its placeholders
         */
        public static Settings resolve(String command, String dbInstance, String apiInstance, String project,
                                       String path) {
            String p = path == null ? "" : path;
            String proj = blank(project) ? "prometheus-demo" : project;
            if (!blank(command)) {
                if (!command.contains("{fault}") || !command.contains("{seconds}")) {
                    throw new ConfigException("--fault-command must contain {fault} and {seconds}, was '" + command
                                                      + "'");
                }
                return new Settings("local", command, null, p, null, null, proj, null);
            }
            if (!blank(dbInstance)) {
                String cli = find(p, "aws");
                return new Settings("aws", null, cli == null ? "aws" : cli, p, dbInstance,
                                    blank(apiInstance) ? null : apiInstance, proj,
                                    cli == null ? "the AWS CLI (aws) is not on the PATH" : null);
            }
            return new Settings("unavailable", null, null, p, null, null, proj,
                                "no fault command (--fault-command; the local stack sets FAULT_COMMAND) and no "
                                        + "DB_INSTANCE_ID for Run Command");
        }

        DbStress.Aws aws(String fault) {
            String instance = fault.startsWith("api-") ? apiInstance : dbInstance;
            return new DbStress.Aws(cli, path, instance == null ? "(API_INSTANCE_ID is not set)" : instance,
                                    project + "-" + fault, project + "-" + fault + "-undo");
        }

        /**
         * How faults are injected, for the plan.
         *
         * @return a line
         */
        public String describe() {
            return switch (mode) {
                case "local" -> "local: " + local;
                case "aws" -> "aws: Run Command documents " + project + "-<fault> on " + dbInstance + " (db) / "
                        + (apiInstance == null ? "no API_INSTANCE_ID" : apiInstance) + " (api)";
                default -> "unavailable: " + problem;
            };
        }

        private static String find(String path, String program) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                    return Path.of(dir, program).toString();
                }
            }
            return null;
        }

        private static boolean blank(String s) {
            return s == null || s.isBlank();
        }
    }
}
