/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.fault;

import java.io.File;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import dev.promdemo.loadtest.plan.ConfigException;

/**
 * CPU stress on the database host for the length of a stage, started when the stage starts and stopped when it
 * ends. A stage that asked for stress and did not get it fails: {@link #launched()} is {@code false} and
 * {@link #problem()} says why.
 *
 * <p>Locally the command is {@code stress-ng} on this machine (the local database shares it), or any
 * {@code --stress-command}; it counts as started if it is still running (or exited 0) shortly after it was started.
 * On AWS it is the project's Run Command document sent to the database instance ({@link AwsRunCommand}), confirmed
 * running before the stage goes on. Where nothing can run on the database host (RDS), it is {@link SqlStress}: a
 * few connections running CPU-bound statements in the database itself, which works locally too.
 */
public final class DbStress {
    private static final System.Logger LOGGER = System.getLogger(DbStress.class.getName());
    private static final String LOCAL = "stress-ng --cpu 0 --timeout {seconds}s";
    /** A started command that fails at once (not found, bad arguments) does so within this. */
    private static final Duration SETTLE = Duration.ofMillis(300);

    private final Settings settings;
    private final long seconds;
    private Process process;
    private Path output;
    private AwsRunCommand aws;
    private SqlStress sql;
    private String problem;
    private Instant started;
    private Instant ended;

    private DbStress(Settings settings, long seconds) {
        this.settings = settings;
        this.seconds = seconds;
    }

    /**
     * Starts the stress for a stage and confirms that it runs.
     *
     * @param settings the resolved settings
     * @param length how long the stress should last
     * @return the stress, started or not ({@link #launched()}, {@link #problem()})
     */
    public static DbStress start(Settings settings, Duration length) {
        DbStress stress = new DbStress(settings, Math.max(1, (length.toMillis() + 999) / 1000));
        stress.started = Instant.now();
        if (settings.problem() != null) {
            stress.problem = settings.problem();
        } else if (settings.aws() != null) {
            stress.aws = new AwsRunCommand(settings.aws());
            stress.problem = stress.aws.start(stress.seconds);
        } else if (settings.sql() != null) {
            stress.problem = stress.startSql(length);
        } else {
            stress.problem = stress.startLocal();
        }
        return stress;
    }

    private String startLocal() {
        try {
            output = Files.createTempFile("loadtest-stress", ".log");
            process = shell(command()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (process.waitFor(SETTLE.toMillis(), TimeUnit.MILLISECONDS) && process.exitValue() != 0) {
                String said = Files.readString(output, StandardCharsets.UTF_8).strip();
                int status = process.exitValue();
                process = null;
                return "'" + command() + "' exited with status " + status + (said.isEmpty() ? "" : ": " + tail(said));
            }
            return null;
        } catch (IOException e) {
            process = null;
            return "cannot start '" + command() + "': " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while starting '" + command() + "'";
        }
    }

    private String startSql(Duration length) {
        try {
            sql = SqlStress.start(settings.sql(), length);
            return null;
        } catch (SQLException e) {
            return "cannot connect to " + settings.sql().url() + " as " + settings.sql().user() + ": "
                    + e.getMessage();
        }
    }

    private static String tail(String text) {
        return text.length() > 300 ? "..." + text.substring(text.length() - 300) : text;
    }

    /**
     * The command as run, {@code {seconds}} replaced.
     *
     * @return the command line
     */
    public String command() {
        if (settings.aws() != null) {
            return String.join(" ", new AwsRunCommand(settings.aws()).startCommand(seconds));
        }
        if (settings.sql() != null) {
            return settings.sql().connections() + " connections running "
                    + SqlStress.STATEMENT.replace("?", Integer.toString(SqlStress.ROUNDS)) + " on "
                    + settings.sql().url() + " as " + settings.sql().user() + " for " + seconds + " s";
        }
        return settings.command() == null ? "(none)" : settings.command().replace("{seconds}", Long.toString(seconds));
    }

    /**
     * When the stress was started.
     *
     * @return the start
     */
    public Instant started() {
        return started;
    }

    /**
     * When it was stopped, or {@code null} while running.
     *
     * @return the end
     */
    public Instant ended() {
        return ended;
    }

    /**
     * Whether the stress runs (or ran).
     *
     * @return {@code true} if it started
     */
    public boolean launched() {
        return problem == null;
    }

    /**
     * Why the stress did not start.
     *
     * @return the reason, or {@code null} if it started
     */
    public String problem() {
        return problem;
    }

    /**
     * Stops the stress: kills the local command and its children, and, if the stage ended early, runs the stop
     * command (or sends the stop document) so stress elsewhere does not outlive it.
     *
     * @param early whether the stage ended before its planned length
     */
    public void stop(boolean early) {
        if (ended != null) {
            return;
        }
        ended = Instant.now();
        if (sql != null) {
            sql.stop();
        }
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
        if (output != null) {
            try {
                Files.deleteIfExists(output);
            } catch (IOException e) {
                LOGGER.log(Level.DEBUG, "could not delete " + output + ": " + e.getMessage());
            }
        }
        if (!early || !launched()) {
            return;
        }
        if (aws != null) {
            String failed = aws.stop();
            if (failed != null) {
                LOGGER.log(Level.WARNING, "could not stop the stress: " + failed);
            }
        } else if (settings.stopCommand() != null) {
            try {
                shell(settings.stopCommand()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start().waitFor(30, TimeUnit.SECONDS);
            } catch (IOException e) {
                LOGGER.log(Level.WARNING, "could not run the stress stop command: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ProcessBuilder shell(String command) {
        return new ProcessBuilder("sh", "-c", command);
    }

    /**
     * Where Run Command stress goes.
     *
     * @param cli the AWS CLI to run
     * @param path the {@code PATH} the CLI runs with
     * @param instanceId the database instance
     * @param document the stress document (parameter {@code durationSeconds})
     * @param stopDocument the stop document (no parameters)
     */
    public record Aws(String cli, String path, String instanceId, String document, String stopDocument) {
    }

    /**
     * Where SQL stress goes.
     *
     * @param url the JDBC URL of the database server
     * @param user the account (it needs no privilege on any table)
     * @param password its password, or {@code null}
     * @param connections how many statements run at once
     */
    public record Sql(String url, String user, String password, int connections) {
        @Override
        public String toString() {
            return "Sql[url=" + url + ", user=" + user + ", connections=" + connections + "]";
        }
    }

    /**
     * What stress-related settings the environment holds; the command line reads them and passes them here.
     *
     * @param dbInstanceId {@code DB_INSTANCE_ID}, or {@code null}
     * @param path {@code PATH}
     * @param document {@code DB_STRESS_DOCUMENT}, or {@code null} for {@code <PROJECT>-db-stress}
     * @param stopDocument {@code DB_STRESS_STOP_DOCUMENT}, or {@code null} for {@code <PROJECT>-db-stress-stop}
     * @param project {@code PROJECT}, or {@code null} for {@code prometheus-demo}
     * @param dbHost {@code DB_HOST} (the database server, e.g. the RDS endpoint), or {@code null}
     * @param sqlUrl {@code DB_STRESS_URL}, a JDBC URL that overrides {@code DB_HOST}, or {@code null}
     * @param sqlUser {@code DB_STRESS_USER}, or {@code null} for {@code stress}
     * @param sqlPassword {@code DB_STRESS_PASSWORD}, or {@code null}
     */
    public record Environment(String dbInstanceId, String path, String document, String stopDocument,
                              String project, String dbHost, String sqlUrl, String sqlUser, String sqlPassword) {
        /**
         * The environment without SQL stress settings.
         *
         * @param dbInstanceId {@code DB_INSTANCE_ID}, or {@code null}
         * @param path {@code PATH}
         * @param document {@code DB_STRESS_DOCUMENT}, or {@code null}
         * @param stopDocument {@code DB_STRESS_STOP_DOCUMENT}, or {@code null}
         * @param project {@code PROJECT}, or {@code null}
         */
        public Environment(String dbInstanceId, String path, String document, String stopDocument, String project) {
            this(dbInstanceId, path, document, stopDocument, project, null, null, null, null);
        }

        /** The JDBC URL for SQL stress, or {@code null} if the environment names no database server. */
        String sqlJdbcUrl() {
            if (!blank(sqlUrl)) {
                return sqlUrl;
            }
            return blank(dbHost) ? null : "jdbc:mysql://" + dbHost + ":3306/";
        }
        String documentName() {
            return blank(document) ? projectName() + "-db-stress" : document;
        }

        String stopDocumentName() {
            return blank(stopDocument) ? projectName() + "-db-stress-stop" : stopDocument;
        }

        private String projectName() {
            return blank(project) ? "prometheus-demo" : project;
        }

        boolean onAws() {
            return !blank(dbInstanceId);
        }

        /** The program's absolute path if it is on the PATH, else {@code null}. */
        String find(String program) {
            for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
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

    /**
     * How stress is applied.
     *
     * @param mode {@code local}, {@code aws}, {@code sql}, {@code custom}, {@code none} or {@code unavailable}
     * @param command the local start command with {@code {seconds}}, or {@code null}
     * @param stopCommand the local early-stop command, or {@code null}
     * @param aws where Run Command goes, or {@code null} when not on AWS
     * @param sql where SQL stress goes, or {@code null} unless the mode is {@code sql}
     * @param problem why stress cannot start here, or {@code null}
     * @param note why this mode was chosen, for the plan
     */
    public record Settings(String mode, String command, String stopCommand, Aws aws, Sql sql, String problem,
                           String note) {
        /** {@code --stress-connections} by default: a few statements, each one server thread. */
        public static final int DEFAULT_SQL_CONNECTIONS = 4;

        /**
         * Resolves {@code --stress}, {@code --stress-command} and {@code --stress-stop-command}, with the default
         * number of SQL stress connections.
         *
         * @param mode auto, local, aws, sql or none
         * @param command an explicit command, or {@code null}
         * @param stopCommand an explicit stop command, or {@code null}
         * @param env the stress-related environment
         * @return the settings
         * @throws ConfigException if the mode is unknown, or AWS or SQL is asked for without their database
         */
        public static Settings resolve(String mode, String command, String stopCommand, Environment env) {
            return resolve(mode, command, stopCommand, DEFAULT_SQL_CONNECTIONS, env);
        }

        /**
         * Resolves {@code --stress}, {@code --stress-command}, {@code --stress-stop-command} and
         * {@code --stress-connections}.
         *
         * @param mode auto, local, aws, sql or none
         * @param command an explicit command, or {@code null}
         * @param stopCommand an explicit stop command, or {@code null}
         * @param sqlConnections how many statements SQL stress runs at once
         * @param env the stress-related environment
         * @return the settings
         * @throws ConfigException if the mode is unknown, or AWS or SQL is asked for without their database
         */
        public static Settings resolve(String mode, String command, String stopCommand, int sqlConnections,
                                       Environment env) {
            if (command != null && !mode.equals("none")) {
                return new Settings("custom", command, stopCommand, null, null, null, "--stress-command");
            }
            return switch (mode) {
                case "none" -> new Settings("none", null, null, null, null, null, "--no-stress");
                case "local" -> local(stopCommand, env, "--stress local");
                case "aws" -> {
                    if (!env.onAws()) {
                        throw new ConfigException("--stress aws needs DB_INSTANCE_ID (the database instance)");
                    }
                    yield aws(env, "--stress aws");
                }
                case "sql" -> {
                    if (env.sqlJdbcUrl() == null) {
                        throw new ConfigException("--stress sql needs DB_STRESS_URL (a JDBC URL) or DB_HOST "
                                                          + "(the database server)");
                    }
                    yield sql(env, sqlConnections, "--stress sql");
                }
                case "auto" -> {
                    if (env.onAws()) {
                        yield aws(env, "DB_INSTANCE_ID is set");
                    }
                    if (env.sqlJdbcUrl() != null) {
                        yield sql(env, sqlConnections,
                                  Environment.blank(env.sqlUrl()) ? "DB_HOST is set" : "DB_STRESS_URL is set");
                    }
                    if (env.find("stress-ng") != null) {
                        yield local(stopCommand, env, "stress-ng is on the PATH");
                    }
                    yield new Settings("unavailable", null, null, null, null,
                                       "no DB_INSTANCE_ID and stress-ng is not on the PATH (install stress-ng, or "
                                               + "pass --no-stress to run the stage without stress)",
                                       "no DB_INSTANCE_ID and no stress-ng on the PATH");
                }
                default -> throw new ConfigException("--stress must be auto, local, aws, sql or none, was '" + mode
                                                             + "'");
            };
        }

        private static Settings local(String stopCommand, Environment env, String note) {
            String problem = env.find("stress-ng") != null ? null
                    : "stress-ng is not on the PATH (install it, e.g. apt-get install stress-ng, or pass --no-stress)";
            return new Settings("local", LOCAL, stopCommand, null, null, problem, note);
        }

        private static Settings aws(Environment env, String note) {
            String cli = env.find("aws");
            Aws aws = new Aws(cli == null ? "aws" : cli, env.path() == null ? "" : env.path(), env.dbInstanceId(),
                              env.documentName(), env.stopDocumentName());
            return new Settings("aws", null, null, aws, null,
                                cli == null ? "the AWS CLI (aws) is not on the PATH" : null,
                                note + ", documents " + aws.document() + " / " + aws.stopDocument());
        }

        private static Settings sql(Environment env, int connections, String note) {
            String user = Environment.blank(env.sqlUser()) ? "stress" : env.sqlUser();
            Sql sql = new Sql(env.sqlJdbcUrl(), user, env.sqlPassword(), connections);
            return new Settings("sql", null, null, null, sql, null,
                                note + ", " + connections + " connections to " + sql.url() + " as " + sql.user());
        }

        /**
         * Whether stress is to run in stages that ask for it; {@code false} only for {@code --no-stress}.
         *
         * @return {@code false} for none
         */
        public boolean enabled() {
            return !mode.equals("none");
        }
    }
}
