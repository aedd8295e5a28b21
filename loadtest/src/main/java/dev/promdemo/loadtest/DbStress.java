/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.File;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * CPU stress on the database host for the length of a stage: a shell command started when the stage starts and
 * stopped when it ends.
 *
 * <p>Locally the command is {@code stress-ng} on this machine (the local database shares it). On AWS it is an
 * {@code aws ssm send-command} Run Command to the database instance, which returns at once while stress-ng runs
 * there with its own timeout; stopping early sends {@code pkill -x stress-ng} the same way.
 */
final class DbStress {
    private static final System.Logger LOGGER = System.getLogger(DbStress.class.getName());
    private static final String LOCAL = "stress-ng --cpu 0 --timeout {seconds}s";
    private static final String AWS = "aws ssm send-command --instance-ids \"$DB_INSTANCE_ID\" "
            + "--document-name AWS-RunShellScript "
            + "--parameters 'commands=[\"stress-ng --cpu 0 --timeout {seconds}s\"]' --output text --query Command.CommandId";
    private static final String AWS_STOP = "aws ssm send-command --instance-ids \"$DB_INSTANCE_ID\" "
            + "--document-name AWS-RunShellScript --parameters 'commands=[\"pkill -x stress-ng || true\"]' --output text "
            + "--query Command.CommandId";

    private final Settings settings;
    private final long seconds;
    private Process process;
    private Instant started;
    private Instant ended;

    private DbStress(Settings settings, long seconds) {
        this.settings = settings;
        this.seconds = seconds;
    }

    /**
     * Starts the stress command for a stage.
     *
     * @param settings the resolved settings
     * @param length how long the stress should last
     * @return the running stress
     */
    static DbStress start(Settings settings, Duration length) {
        DbStress stress = new DbStress(settings, Math.max(1, (length.toMillis() + 999) / 1000));
        stress.started = Instant.now();
        try {
            stress.process = shell(stress.command()).start();
        } catch (IOException e) {
            LOGGER.log(Level.WARNING, "could not start the stress command: " + e.getMessage());
        }
        return stress;
    }

    /**
     * The command as run, {@code {seconds}} replaced.
     *
     * @return the command line
     */
    String command() {
        return settings.command().replace("{seconds}", Long.toString(seconds));
    }

    /**
     * When the stress started.
     *
     * @return the start
     */
    Instant started() {
        return started;
    }

    /**
     * When it was stopped, or {@code null} while running.
     *
     * @return the end
     */
    Instant ended() {
        return ended;
    }

    /**
     * Whether the command could be started at all.
     *
     * @return {@code true} if it started
     */
    boolean launched() {
        return process != null;
    }

    /**
     * Stops the stress: kills the local command and its children, and runs the stop command if there is one and the
     * stress may still be running elsewhere.
     *
     * @param early whether the stage ended before its planned length
     */
    void stop(boolean early) {
        if (ended != null) {
            return;
        }
        ended = Instant.now();
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            try {
                if (!process.waitFor(2, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (early && settings.stopCommand() != null) {
            try {
                shell(settings.stopCommand()).start().waitFor(30, TimeUnit.SECONDS);
            } catch (IOException e) {
                LOGGER.log(Level.WARNING, "could not run the stress stop command: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ProcessBuilder shell(String command) {
        return new ProcessBuilder("sh", "-c", command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    }

    /**
     * How stress is applied.
     *
     * @param mode {@code local}, {@code aws}, {@code custom} or {@code none}
     * @param command the start command with {@code {seconds}}, or {@code null} for none
     * @param stopCommand the early-stop command, or {@code null}
     * @param note why this mode was chosen, for the plan
     */
    record Settings(String mode, String command, String stopCommand, String note) {
        /**
         * Resolves {@code --stress}, {@code --stress-command} and {@code --stress-stop-command}.
         *
         * @param mode auto, local, aws or none
         * @param command an explicit command, or {@code null}
         * @param stopCommand an explicit stop command, or {@code null}
         * @param env the environment
         * @return the settings
         */
        static Settings resolve(String mode, String command, String stopCommand, Map<String, String> env) {
            if (command != null && !mode.equals("none")) {
                return new Settings("custom", command, stopCommand, "--stress-command");
            }
            return switch (mode) {
                case "none" -> new Settings("none", null, null, "--no-stress");
                case "local" -> new Settings("local", LOCAL, stopCommand, "--stress local");
                case "aws" -> new Settings("aws", AWS, stopCommand == null ? AWS_STOP : stopCommand, "--stress aws");
                case "auto" -> {
                    if (env.get("DB_INSTANCE_ID") != null && !env.get("DB_INSTANCE_ID").isBlank()) {
                        yield new Settings("aws", AWS, stopCommand == null ? AWS_STOP : stopCommand,
                                           "DB_INSTANCE_ID is set");
                    }
                    if (onPath("stress-ng", env.getOrDefault("PATH", ""))) {
                        yield new Settings("local", LOCAL, stopCommand, "stress-ng is on the PATH");
                    }
                    yield new Settings("none", null, null, "no DB_INSTANCE_ID and no stress-ng on the PATH");
                }
                default -> throw new ConfigException("--stress must be auto, local, aws or none, was '" + mode + "'");
            };
        }

        /**
         * Whether any stress will run.
         *
         * @return {@code false} for none
         */
        boolean enabled() {
            return command != null;
        }

        private static boolean onPath(String program, String path) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                    return true;
                }
            }
            return false;
        }
    }
}
